/*
 * kj_wrap.cpp — kj_wrap.h in LLVM's C++ API.  Keep it small: every function
 * here is justified in docs/DESIGN.md ("The C++ file").
 *
 * Layer base (lib/LAYERS), the bottom: calls nothing of libkjit.
 */
#include <atomic>
#include "base/kj_wrap.h"

#include <llvm/DebugInfo/DWARF/DWARFContext.h>
#include <llvm/IR/Constants.h>
#include <llvm/IR/DebugInfoMetadata.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/GlobalAlias.h>
#include <llvm/IR/GlobalVariable.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <llvm/Transforms/Utils/ValueMapper.h>
#include <llvm/Object/ObjectFile.h>
#include <llvm-c/Core.h>
#include <llvm-c/Error.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace llvm;

/* The kjit command starts without libLLVM and binds LLVM's functions at
 * their first call (kj_llvm.c).  Data references cannot wait: the vtables
 * this file instantiates point at two LLVM `anchor` functions, which exist
 * only to place vtables and are never called.  Weak, they resolve to 0 in a
 * process started without LLVM instead of stopping it at load. */
__asm__(".weak _ZN4llvm17ValueMaterializer6anchorEv\n"
        ".weak _ZN4llvm10CallbackVH6anchorEv\n");
/* The same for the vtables of the stream classes Sink derives from: their
 * constructors and destructors store them in the object for a moment
 * (unoptimised builds), and nothing reads them there. */
__asm__(".weak _ZTVN4llvm11raw_ostreamE\n"
        ".weak _ZTVN4llvm17raw_pwrite_streamE\n");

namespace {

/* Make g external, visible, and (for a declaration) possibly far away. */
void make_external(GlobalValue *g, bool decl) {
    g->setLinkage(GlobalValue::ExternalLinkage);
    g->setVisibility(GlobalValue::DefaultVisibility);
    if (decl) g->setDSOLocal(false);
    if (auto *o = dyn_cast<GlobalObject>(g)) o->setComdat(nullptr);
}

/* An empty global of the same kind, name and type as g, in m. */
GlobalValue *shell(Module *m, const GlobalValue *g) {
    GlobalValue *d;
    if (auto *f = dyn_cast<Function>(g)) {
        auto *nf = Function::Create(f->getFunctionType(), GlobalValue::ExternalLinkage,
                                    f->getAddressSpace(), f->getName(), m);
        nf->copyAttributesFrom(f);
        /* (those are values of f's module: a definition's copy gets them
         * mapped by CloneFunctionInto, a declaration needs none) */
        nf->setPersonalityFn(nullptr);
        nf->setPrefixData(nullptr);
        nf->setPrologueData(nullptr);
        d = nf;
    } else if (isa<FunctionType>(g->getValueType())) { /* an alias of a function */
        d = Function::Create(cast<FunctionType>(g->getValueType()), GlobalValue::ExternalLinkage,
                             g->getAddressSpace(), g->getName(), m);
    } else {
        auto *v = dyn_cast<GlobalVariable>(g);
        auto *nv = new GlobalVariable(*m, g->getValueType(), v && v->isConstant(),
                                      GlobalValue::ExternalLinkage, nullptr, g->getName(), nullptr,
                                      g->getThreadLocalMode(), g->getAddressSpace());
        if (v) nv->copyAttributesFrom(v);
        d = nv;
    }
    return d;
}

/* Declares, on demand, what the copied definitions reference. */
struct Declarer final : ValueMaterializer {
    Module *m;
    explicit Declarer(Module *m) : m(m) {}
    Value *materialize(Value *v) override {
        auto *g = dyn_cast<GlobalValue>(v);
        if (!g) return nullptr;
        GlobalValue *d = shell(m, g);
        make_external(d, true);
        /* (a weak reference stays one: null if nothing defines it) */
        if (g->hasExternalWeakLinkage()) d->setLinkage(GlobalValue::ExternalWeakLinkage);
        return d;
    }
};

/* Whether f's body can be copied by copy_body: no debug information (its
 * metadata would need the module-level care CloneFunctionInto takes), no
 * block whose address is taken (blockaddress constants name the function
 * and the block), no prefix or prologue data. */
bool plain(const Function *f) {
    if (f->getSubprogram() || f->hasPrefixData() || f->hasPrologueData()) return false;
    for (const BasicBlock &b : *f) {
        if (b.hasAddressTaken()) return false;
        for (const Instruction &i : b) {
            if (i.getDebugLoc() || i.hasDbgRecords()) return false;
            for (const Use &op : i.operands())
                if (auto *mv = dyn_cast<MetadataAsValue>(op.get()))
                    if (isa<LocalAsMetadata>(mv->getMetadata()) ||
                        isa<DIArgList>(mv->getMetadata()))
                        return false;
        }
    }
    return true;
}

/* f's body into nf (the shell of f, vmap[f] = nf), as CloneFunctionInto
 * copies it into another module, but with its own values (arguments,
 * blocks, instructions) mapped in a plain hash map: CloneFunctionInto's
 * ValueMap keeps two value handles per value mapped, registered with the
 * context and taken out again, 40 % of its time on the SQL engine's
 * functions.  Constants, global values and metadata are mapped through
 * vmap and declare, in the same order CloneFunctionInto maps them, so the
 * module and the object made of it are the same. */
void copy_body(Function *nf, const Function *f, ValueToValueMapTy &vmap, Declarer &declare) {
    DenseMap<const Value *, Value *> local;
    auto arg = nf->arg_begin();
    for (const Argument &a : f->args()) local[&a] = &*arg++;
    if (f->hasPersonalityFn())
        nf->setPersonalityFn(MapValue(f->getPersonalityFn(), vmap, RF_None, nullptr, &declare));
    SmallVector<std::pair<unsigned, MDNode *>, 4> mds;
    f->getAllMetadata(mds);
    for (auto &md : mds)
        nf->addMetadata(md.first, *MapMetadata(md.second, vmap, RF_None, nullptr, &declare));
    for (const BasicBlock &b : *f) {
        BasicBlock *nb = BasicBlock::Create(nf->getContext(), b.getName(), nf);
        local[&b] = nb;
        for (const Instruction &i : b) {
            Instruction *ni = i.clone();
            if (i.hasName()) ni->setName(i.getName());
            ni->insertInto(nb, nb->end());
            local[&i] = ni;
        }
    }
    ValueMapper mapper(vmap, RF_IgnoreMissingLocals, nullptr, &declare);
    for (BasicBlock &nb : *nf)
        for (Instruction &ni : nb) {
            for (Use &op : ni.operands()) {
                auto it = local.find(op.get());
                if (it != local.end()) op.set(it->second);
            }
            if (auto *phi = dyn_cast<PHINode>(&ni))
                for (unsigned k = 0; k < phi->getNumIncomingValues(); k++) {
                    /* (a block of another function, in a damaged body, stays:
                     * the verifier rejects it) */
                    auto b = local.find(phi->getIncomingBlock(k));
                    if (b != local.end()) phi->setIncomingBlock(k, cast<BasicBlock>(b->second));
                }
            mapper.remapInstruction(ni); /* (what is left: constants, globals, metadata) */
        }
}

} // namespace

/* KJIT_CLONE_LLVM=1: every body copied by CloneFunctionInto (the
 * benchmarks and cc-objects-same.c compare), read once. */
static bool clone_llvm() {
    static std::atomic<int> on{-1}; /* (no guard: two threads may both read it) */
    int v = on.load(std::memory_order_relaxed);
    if (v < 0) on.store(v = getenv("KJIT_CLONE_LLVM") != nullptr, std::memory_order_relaxed);
    return v;
}

extern "C" LLVMModuleRef kj_wrap_extract(LLVMModuleRef src_ref, LLVMValueRef *defs, unsigned n,
                                         const char *name, LLVMModuleRef into) {
    Module *src = unwrap(src_ref);
    Module *m = into ? unwrap(into) : new Module(name, src->getContext());
    if (!into) {
        m->setTargetTriple(src->getTargetTriple());
        m->setDataLayout(src->getDataLayout());
    }
    /* Module flags say how to generate code (unwind tables, PIC level, ...)
     * and which debug-info version the metadata has. */
    if (NamedMDNode *flags = src->getModuleFlagsMetadata()) {
        NamedMDNode *to = m->getOrInsertModuleFlagsMetadata();
        for (MDNode *op : flags->operands()) to->addOperand(op);
    }
    ValueToValueMapTy vmap;
    Declarer declare(m);
    /* First every definition's shell, so they reference one another. */
    for (unsigned i = 0; i < n; i++) {
        auto *g = cast<GlobalValue>(unwrap(defs[i]));
        GlobalValue *d;
        if (auto *a = dyn_cast<GlobalAlias>(g))
            d = GlobalAlias::create(a->getValueType(), a->getAddressSpace(),
                                    GlobalValue::ExternalLinkage, a->getName(), m);
        else
            d = shell(m, g);
        vmap[g] = d;
    }
    for (unsigned i = 0; i < n; i++) {
        auto *g = cast<GlobalValue>(unwrap(defs[i]));
        GlobalValue *d = cast<GlobalValue>(vmap[g]);
        if (auto *f = dyn_cast<Function>(g)) {
            auto *nf = cast<Function>(d);
            if (!f->isDeclaration() && plain(f) && !clone_llvm()) {
                copy_body(nf, f, vmap, declare);
            } else {
                auto arg = nf->arg_begin();
                for (const Argument &a : f->args()) vmap[&a] = &*arg++;
                SmallVector<ReturnInst *, 8> returns;
                CloneFunctionInto(nf, f, vmap, CloneFunctionChangeType::DifferentModule, returns,
                                  "", nullptr, nullptr, &declare);
            }
        } else if (auto *v = dyn_cast<GlobalVariable>(g)) {
            if (v->hasInitializer())
                cast<GlobalVariable>(d)->setInitializer(
                    MapValue(v->getInitializer(), vmap, RF_None, nullptr, &declare));
        } else if (auto *a = dyn_cast<GlobalAlias>(g)) {
            cast<GlobalAlias>(d)->setAliasee(
                MapValue(a->getAliasee(), vmap, RF_None, nullptr, &declare));
        }
        make_external(d, false);
    }
    return wrap(m);
}

/* An Error's message into err (the C API's LLVMGetErrorMessage consumes
 * it: no data reference to LLVM's error handlers here); 0 if none. */
static int error_text(Error e, char *err, size_t len) {
    LLVMErrorRef c = wrap(std::move(e));
    if (!c) return 0;
    char *m = LLVMGetErrorMessage(c);
    snprintf(err, len, "%s", m ? m : "unreadable bitcode");
    LLVMDisposeErrorMessage(m);
    return -1;
}

extern "C" int kj_wrap_materialize(LLVMValueRef g, char *err, size_t len) {
    auto *gv = cast<GlobalValue>(unwrap(g));
    if (!gv->isMaterializable()) return 0;
    return error_text(gv->materialize(), err, len);
}

extern "C" int kj_wrap_materialize_all(LLVMModuleRef m, char *err, size_t len) {
    return error_text(unwrap(m)->materializeAll(), err, len);
}

namespace {

/* An object file's bytes in memory, as raw_svector_ostream keeps them, but
 * with every virtual function this file's own, so that its vtable refers
 * to nothing of LLVM (the note on weak symbols above). */
class Sink final : public raw_pwrite_stream {
public:
    char *buf = nullptr;
    size_t len = 0, cap = 0;
    bool failed = false;

    Sink() : raw_pwrite_stream(true) {}
    ~Sink() override { free(buf); }
    void clear() {
        len = 0;
        failed = false;
    }

private:
    bool reserve(uint64_t need) {
        if (need <= cap) return true;
        size_t c = cap ? cap : 4096;
        while (c < need) c *= 2;
        char *b = static_cast<char *>(realloc(buf, c));
        if (!b) return false;
        buf = b;
        cap = c;
        return true;
    }
    void write_impl(const char *p, size_t n) override {
        if (!failed && reserve(len + n)) memcpy(buf + len, p, n);
        else failed = true; /* (positions stay right; the bytes are dropped) */
        len += n;
    }
    void pwrite_impl(const char *p, size_t n, uint64_t off) override {
        if (!failed && off + n <= len) memcpy(buf + off, p, n);
    }
    uint64_t current_pos() const override { return len; }
    void reserveExtraSpace(uint64_t extra) override { (void)reserve(len + extra); }
    size_t preferred_buffer_size() const override { return 0; }
    raw_ostream &changeColor(enum Colors, bool, bool) override { return *this; }
    raw_ostream &resetColor() override { return *this; }
    raw_ostream &reverseColor() override { return *this; }
    bool is_displayed() const override { return false; }
    bool has_colors() const override { return false; }
    void enable_colors(bool) override {}
    void anchor() override {}
};

} // namespace

struct kj_wrap_emitter {
    TargetMachine *tm;
    Sink out;
    legacy::PassManager pm;
};

extern "C" kj_wrap_emitter *kj_wrap_emitter_new(LLVMTargetMachineRef tm) {
    auto *e = new kj_wrap_emitter;
    e->tm = reinterpret_cast<TargetMachine *>(tm);
    if (e->tm->addPassesToEmitFile(e->pm, e->out, nullptr, CodeGenFileType::ObjectFile)) {
        delete e;
        return nullptr;
    }
    return e;
}

extern "C" LLVMMemoryBufferRef kj_wrap_emit(kj_wrap_emitter *e, LLVMModuleRef m) {
    Module *mod = unwrap(m);
    mod->setDataLayout(e->tm->createDataLayout());
    e->out.clear();
    e->pm.run(*mod);
    if (e->out.failed) return nullptr;
    return LLVMCreateMemoryBufferWithMemoryRangeCopy(e->out.buf, e->out.len, "");
}

extern "C" void kj_wrap_emitter_free(kj_wrap_emitter *e) { delete e; }

extern "C" void kj_wrap_machine(LLVMTargetMachineRef tm) {
    TargetMachine *t = reinterpret_cast<TargetMachine *>(tm);
    t->Options.EmulatedTLS = true;
    /* No GlobalISel (AArch64's choice at -O0): its instruction selector
     * belongs to the machine's subtarget and keeps the DebugLoc of the last
     * instruction it selected, so the next compile with this machine reads
     * a DILocation of a context kjit has since disposed (a crash, depending
     * on what reused the memory).  FastISel, as on x86-64, keeps nothing. */
    t->setGlobalISel(false);
}

extern "C" int kj_wrap_where(const char *obj, size_t size, unsigned section, uint64_t pc,
                             kj_wrap_frame_fn fn, void *ctx) {
    auto o = object::ObjectFile::createObjectFile(MemoryBufferRef(StringRef(obj, size), "kjit"));
    /* Errors are dropped by destroying them: consumeError would refer to
     * LLVM's data (ErrorInfoBase::ID), which the kjit command cannot bind
     * lazily; the same goes for LLVM's default handlers, hence ours. */
    if (!o) {
        (void)o.takeError();
        return 0;
    }
    auto drop = [](Error e) { (void)e; };
    /* Relocations applied with the patched section addresses: the line
     * table's addresses are where the code is. */
    auto dwarf = DWARFContext::create(**o, DWARFContext::ProcessDebugRelocations::Process, nullptr,
                                      "", drop, drop);
    DILineInfoSpecifier spec(DILineInfoSpecifier::FileLineInfoKind::RelativeFilePath,
                             DINameKind::ShortName);
    DIInliningInfo info = dwarf->getInliningInfoForAddress(
        {pc, section}, spec);
    int n = 0;
    for (uint32_t i = 0; i < info.getNumberOfFrames(); i++) {
        const DILineInfo &f = info.getFrame(i);
        if (f.Line == 0 && f.FileName == DILineInfo::BadString) continue;
        const char *name = f.FunctionName == DILineInfo::BadString ? "" : f.FunctionName.c_str();
        const char *file = f.FileName == DILineInfo::BadString ? "" : f.FileName.c_str();
        fn(ctx, name, file, f.Line, f.Column);
        n++;
    }
    return n;
}
