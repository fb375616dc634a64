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
#include <llvm/IR/CFG.h>
#include <llvm/IR/Instructions.h>
#include <llvm/IR/IntrinsicInst.h>
#include <llvm/IR/Intrinsics.h>
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
#include <string>
#include <vector>

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

/* ---- on-stack replacement of C frames (kj_osr.c) ---------------------------
 *
 * An OSR point is the header of an outermost loop: the one block of a
 * strongly connected component of the CFG that is entered from outside it
 * (a component entered at two blocks, irreducible, has none).  Its live
 * values are f's arguments used at or after it, its phis, and every value
 * defined in a block it cannot reach and used in one it can: such a block
 * lies on every path from the entry to the header, so those values exist
 * when the header runs.  A value defined in a block the header reaches is
 * made again on the way from the header to its uses, since the header is
 * its component's only way in.  T1 code and the continuation T2 makes both
 * take the points and their live values from the same IR, in the same
 * order (blocks, then instructions, as f lists them); `sig` (the count and
 * the types) guards the match. */
namespace {

struct osr_point {
    unsigned k; /* its number among the candidate headers */
    BasicBlock *header;
    std::vector<Value *> live;
    uint32_t sig;
};

/* Whether f can have points at all: nothing that sees or changes its own
 * frame (the continuation is another frame, above the T1 one). */
bool osr_fn_ok(const Function &f) {
    if (f.isVarArg() || f.hasPrefixData() || f.hasPrologueData() || f.hasGC() || f.empty())
        return false;
    for (const Argument &a : f.args())
        if (a.hasInAllocaAttr() || a.hasPreallocatedAttr() || a.hasSwiftErrorAttr() ||
            a.getType()->isTokenTy())
            return false;
    for (const BasicBlock &b : f)
        for (const Instruction &i : b) {
            for (const Use &op : i.operands()) {
                if (isa<BlockAddress>(op.get())) return false; /* (directly: not mapped) */
                if (auto *mv = dyn_cast<MetadataAsValue>(op.get()))
                    if (isa<LocalAsMetadata>(mv->getMetadata()) ||
                        isa<DIArgList>(mv->getMetadata()))
                        if (!isa<DbgInfoIntrinsic>(&i)) return false;
            }
            auto *call = dyn_cast<CallBase>(&i);
            if (!call) continue;
            if (isa<CallBrInst>(call) || call->hasFnAttr(Attribute::ReturnsTwice)) return false;
            if (auto *ci = dyn_cast<CallInst>(call))
                if (ci->isMustTailCall()) return false;
            if (const Function *callee = call->getCalledFunction()) {
                if (callee->hasFnAttribute(Attribute::ReturnsTwice)) return false;
                switch (callee->getIntrinsicID()) {
                case Intrinsic::stacksave: case Intrinsic::stackrestore:
                case Intrinsic::localescape: case Intrinsic::frameaddress:
                case Intrinsic::returnaddress: case Intrinsic::addressofreturnaddress:
                case Intrinsic::sponentry: case Intrinsic::vastart: case Intrinsic::vaend:
                case Intrinsic::eh_unwind_init: case Intrinsic::eh_return_i32:
                case Intrinsic::eh_return_i64: case Intrinsic::coro_id:
                case Intrinsic::coro_begin:
                    return false;
                default:
                    break;
                }
            }
        }
    return true;
}

/* f's CFG, numbered: the blocks the entry reaches, their successors, and
 * Tarjan's strongly connected components (iteratively). */
struct osr_cfg {
    std::vector<BasicBlock *> block;
    DenseMap<const BasicBlock *, unsigned> index;
    std::vector<std::vector<unsigned>> succ;
    std::vector<unsigned> comp, comp_size;
    bool taken = false; /* a block's address is taken */
    bool eh = false;    /* a block is a landing pad */

    int of(const BasicBlock *b) const {
        auto it = index.find(b);
        return it == index.end() ? -1 : (int)it->second;
    }
};

void osr_cfg_make(Function &f, osr_cfg &g) {
    std::vector<BasicBlock *> todo{&f.getEntryBlock()};
    g.index[&f.getEntryBlock()] = 0;
    g.block.push_back(&f.getEntryBlock());
    while (!todo.empty()) {
        BasicBlock *b = todo.back();
        todo.pop_back();
        g.taken |= b->hasAddressTaken();
        g.eh |= b->isLandingPad();
        for (BasicBlock *s : successors(b))
            if (g.index.insert({s, (unsigned)g.block.size()}).second) {
                g.block.push_back(s);
                todo.push_back(s);
            }
    }
    unsigned n = (unsigned)g.block.size();
    g.succ.resize(n);
    for (unsigned i = 0; i < n; i++)
        for (BasicBlock *s : successors(g.block[i])) g.succ[i].push_back(g.index[s]);
    const unsigned none = ~0u;
    std::vector<unsigned> index(n, none), low(n), stack;
    std::vector<char> on(n, 0);
    std::vector<std::pair<unsigned, unsigned>> work{{0, 0}};
    g.comp.assign(n, none);
    unsigned next = 0, ncomp = 0;
    index[0] = low[0] = next++;
    stack.push_back(0);
    on[0] = 1;
    while (!work.empty()) {
        unsigned b = work.back().first;
        unsigned &k = work.back().second;
        if (k < g.succ[b].size()) {
            unsigned s = g.succ[b][k++];
            if (index[s] == none) {
                index[s] = low[s] = next++;
                stack.push_back(s);
                on[s] = 1;
                work.push_back({s, 0});
            } else if (on[s]) {
                low[b] = std::min(low[b], index[s]);
            }
            continue;
        }
        if (low[b] == index[b]) {
            unsigned x;
            g.comp_size.push_back(0);
            do {
                x = stack.back();
                stack.pop_back();
                on[x] = 0;
                g.comp[x] = ncomp;
                g.comp_size[ncomp]++;
            } while (x != b);
            ncomp++;
        }
        work.pop_back();
        if (!work.empty()) {
            unsigned p = work.back().first;
            low[p] = std::min(low[p], low[b]);
        }
    }
}

uint32_t osr_sig(unsigned k, const std::vector<Value *> &live) {
    uint32_t h = 2166136261u;
    auto mix = [&h](uint32_t v) { h = (h ^ v) * 16777619u; };
    mix(k);
    mix((uint32_t)live.size());
    for (Value *v : live) {
        Type *t = v->getType();
        mix(t->getTypeID());
        if (t->isIntegerTy()) mix(t->getIntegerBitWidth());
        if (auto *vt = dyn_cast<FixedVectorType>(t)) mix(vt->getNumElements());
    }
    return h;
}

#define KJ_OSR_POINTS 8 /* (kj_osr.c's KJ_OSR_C_POINTS) */
#define KJ_OSR_EVERY 64 /* T1 code asks for its continuation every this many passes */

bool osr_names_blocks(const Constant *c, const Function *f);

/* Whether v may hold one of f's block addresses, or point at one (made
 * from a global that holds them, by any chain of instructions): the
 * continuation's blocks are others, and a computed goto there would jump
 * into f's code.  (A block address as an operand is refused outright.)
 * Or whether it was made by exception handling, a landing pad's values or
 * a catch's type index (llvm.eh.typeid.for): a function's LSDA numbers the
 * types its own landing pads name, so a selector of f's is no selector of
 * the continuation's (clang hoists the index out of a loop, and GVN puts a
 * selector known equal in its place; a throw caught in the copy looped in
 * the unwinder, the handler it found not taking it).  `blocks`: look for
 * block addresses too (f has a block whose address is taken). */
bool osr_names_own_blocks(Value *v, const Function &f, bool blocks) {
    std::vector<Value *> todo{v};
    DenseMap<Value *, bool> seen;
    while (!todo.empty()) {
        Value *x = todo.back();
        todo.pop_back();
        if (seen.count(x)) continue;
        seen[x] = true;
        if (isa<LandingPadInst>(x)) return true;
        if (auto *ii = dyn_cast<IntrinsicInst>(x))
            if (ii->getIntrinsicID() == Intrinsic::eh_typeid_for) return true;
        if (!blocks) { /* (only what an exception's handling made) */
            if (auto *i = dyn_cast<Instruction>(x))
                for (Use &op : i->operands()) todo.push_back(op.get());
            continue;
        }
        if (auto *g = dyn_cast<GlobalVariable>(x)) {
            if (g->hasInitializer() && osr_names_blocks(g->getInitializer(), &f)) return true;
            continue;
        }
        if (auto *ce = dyn_cast<ConstantExpr>(x)) {
            for (Use &op : ce->operands()) todo.push_back(op.get());
            continue;
        }
        if (auto *i = dyn_cast<Instruction>(x))
            for (Use &op : i->operands()) todo.push_back(op.get());
    }
    return false;
}

#define KJ_OSR_LIVE 64 /* a point with more live values is none */

/* f's points: of its first KJ_OSR_POINTS candidate headers, those with at
 * most max_live live values, each numbered as its candidate (so that a
 * smaller max_live, T1's, leaves the others' numbers as they are). */
std::vector<osr_point> osr_points(Function &f, osr_cfg &g, unsigned max_live) {
    if (max_live > KJ_OSR_LIVE) max_live = KJ_OSR_LIVE;
    unsigned cand = 0;
    std::vector<osr_point> out;
    if (!osr_fn_ok(f)) return out;
    osr_cfg_make(f, g);
    unsigned n = (unsigned)g.block.size();
    /* The one block through which each component is entered, if one. */
    const unsigned none = ~0u, two = ~1u;
    std::vector<unsigned> head(n, none);
    for (unsigned b = 0; b < n; b++)
        for (unsigned s : g.succ[b]) {
            unsigned c = g.comp[s];
            if (c == g.comp[b]) continue;
            head[c] = head[c] == none || head[c] == s ? s : two;
        }
    std::vector<char> reach(n);
    std::vector<unsigned> todo;
    /* (in the order f lists its blocks, which blocks kjit adds elsewhere,
     * polls and counters, do not change) */
    for (BasicBlock &bb : f) {
        if (cand == KJ_OSR_POINTS) break;
        int hi = g.of(&bb);
        if (hi < 0) continue;
        unsigned h = (unsigned)hi, c = g.comp[h];
        if (head[c] != h) continue;
        bool cyclic = g.comp_size[c] > 1;
        for (unsigned s : g.succ[h]) cyclic |= s == h;
        BasicBlock *hb = g.block[h];
        if (!cyclic || hb->isEHPad() || isa<LandingPadInst>(hb->getFirstNonPHI())) continue;
        unsigned k = cand++;
        /* The blocks h reaches. */
        std::fill(reach.begin(), reach.end(), 0);
        reach[h] = 1;
        todo.assign(1, h);
        while (!todo.empty()) {
            unsigned b = todo.back();
            todo.pop_back();
            for (unsigned s : g.succ[b])
                if (!reach[s]) reach[s] = 1, todo.push_back(s);
        }
        /* Whether a use is in a block h reaches (a phi's: its edge's block). */
        auto used_after = [&](const Value *v) {
            for (const Use &u : v->uses()) {
                auto *ui = dyn_cast<Instruction>(u.getUser());
                if (!ui) continue;
                const BasicBlock *at = ui->getParent();
                if (auto *phi = dyn_cast<PHINode>(ui)) at = phi->getIncomingBlock(u);
                int i = g.of(at);
                if (i >= 0 && reach[i]) return true;
            }
            return false;
        };
        osr_point p{k, hb, {}, 0};
        for (Argument &a : f.args())
            if (used_after(&a)) p.live.push_back(&a);
        for (PHINode &phi : hb->phis()) p.live.push_back(&phi);
        for (BasicBlock &b : f) {
            int bi = g.of(&b);
            if (bi < 0 || reach[bi] || p.live.size() > max_live) continue;
            for (Instruction &i : b)
                if (!i.getType()->isVoidTy() && used_after(&i)) p.live.push_back(&i);
        }
        if (p.live.size() > max_live) continue;
        bool ok = true;
        for (Value *v : p.live)
            ok &= !v->getType()->isTokenTy() &&
                  !((g.taken || g.eh) && osr_names_own_blocks(v, f, g.taken));
        if (!ok) continue;
        p.sig = osr_sig(k, p.live);
        out.push_back(std::move(p));
    }
    return out;
}

/* A constant with every blockaddress of f in it made one of nf's (vmap:
 * f's blocks to nf's); NULL if one names a block nf has not. */
Constant *osr_remap_blocks(Constant *c, Function *f, Function *nf,
                           DenseMap<const Value *, Value *> &local) {
    if (auto *ba = dyn_cast<BlockAddress>(c)) {
        if (ba->getFunction() != f) return c;
        auto it = local.find(ba->getBasicBlock());
        return it == local.end() ? nullptr : BlockAddress::get(nf, cast<BasicBlock>(it->second));
    }
    if (!isa<ConstantAggregate>(c)) return c;
    std::vector<Constant *> ops;
    bool changed = false;
    for (Use &op : c->operands()) {
        Constant *o = osr_remap_blocks(cast<Constant>(op.get()), f, nf, local);
        if (!o) return nullptr;
        changed |= o != op.get();
        ops.push_back(o);
    }
    if (!changed) return c;
    if (auto *a = dyn_cast<ConstantArray>(c)) return ConstantArray::get(a->getType(), ops);
    if (auto *s = dyn_cast<ConstantStruct>(c)) return ConstantStruct::get(s->getType(), ops);
    return ConstantVector::get(ops);
}

bool osr_names_blocks(const Constant *c, const Function *f) {
    if (auto *ba = dyn_cast<BlockAddress>(c)) return ba->getFunction() == f;
    if (!isa<ConstantAggregate>(c)) return false;
    for (const Use &op : c->operands())
        if (osr_names_blocks(cast<Constant>(op.get()), f)) return true;
    return false;
}

/* The continuation of point p: f from p's header on, its live values as
 * parameters; NULL if it cannot be made. */
Function *osr_continuation(Function &f, const osr_point &p, const std::string &name,
                           DenseMap<const Value *, Value *> &local) {
    LLVMContext &c = f.getContext();
    Module *m = f.getParent();
    std::vector<Type *> params;
    for (Value *v : p.live) params.push_back(v->getType());
    auto *ft = FunctionType::get(f.getReturnType(), params, false);
    Function *nf = Function::Create(ft, GlobalValue::ExternalLinkage, name, m);
    nf->setCallingConv(CallingConv::C);
    nf->setAttributes(AttributeList::get(c, f.getAttributes().getFnAttrs(), AttributeSet(), {}));
    nf->removeFnAttr(Attribute::AlwaysInline);
    if (f.hasPersonalityFn()) nf->setPersonalityFn(f.getPersonalityFn());
    if (f.hasSection()) nf->setSection(f.getSection());
    unsigned k = 0;
    for (Value *v : p.live) {
        Argument *a = nf->getArg(k++);
        if (auto *phi = dyn_cast<PHINode>(v); phi && phi->getParent() == p.header) continue;
        local[v] = a;
    }
    BasicBlock *entry = BasicBlock::Create(c, "osr.entry", nf);
    DenseMap<const BasicBlock *, bool> reach;
    {
        std::vector<BasicBlock *> todo{p.header};
        reach[p.header] = true;
        while (!todo.empty()) {
            BasicBlock *b = todo.back();
            todo.pop_back();
            for (BasicBlock *s : successors(b))
                if (!reach.count(s)) reach[s] = true, todo.push_back(s);
        }
    }
    for (BasicBlock &b : f) {
        if (!reach.count(&b)) continue;
        BasicBlock *nb = BasicBlock::Create(c, b.getName(), nf);
        local[&b] = nb;
        for (Instruction &i : b) {
            if (isa<DbgInfoIntrinsic>(&i)) continue;
            Instruction *ni = i.clone();
            if (i.hasName()) ni->setName(i.getName());
            ni->setDebugLoc(DebugLoc());
            ni->insertInto(nb, nb->end());
            local[&i] = ni;
        }
    }
    /* The globals of blockaddresses of f that the copy uses (a computed
     * goto's table), each copied naming nf's blocks. */
    DenseMap<const Value *, Value *> tables;
    for (BasicBlock &nb : *nf)
        for (Instruction &ni : nb)
            for (Use &op : ni.operands()) {
                auto it = local.find(op.get());
                if (it != local.end()) {
                    op.set(it->second);
                    continue;
                }
                auto *g = dyn_cast<GlobalVariable>(op.get());
                if (!g || !g->hasInitializer() || !osr_names_blocks(g->getInitializer(), &f))
                    continue;
                auto t = tables.find(g);
                if (t == tables.end()) {
                    Constant *init = osr_remap_blocks(g->getInitializer(), &f, nf, local);
                    if (!init) {
                        for (auto &e : tables) cast<GlobalVariable>(e.second)->eraseFromParent();
                        nf->dropAllReferences();
                        nf->eraseFromParent();
                        return nullptr;
                    }
                    auto *ng = new GlobalVariable(*m, g->getValueType(), g->isConstant(),
                                                  GlobalValue::InternalLinkage, init,
                                                  g->getName() + ".osr");
                    ng->setAlignment(g->getAlign());
                    t = tables.insert({g, ng}).first;
                }
                op.set(t->second);
            }
    for (BasicBlock &nb : *nf)
        for (PHINode &phi : nb.phis()) {
            for (unsigned i = phi.getNumIncomingValues(); i-- > 0;) {
                auto b = local.find(phi.getIncomingBlock(i)); /* (only copied blocks) */
                if (b == local.end())
                    phi.removeIncomingValue(i, false);
                else
                    phi.setIncomingBlock(i, cast<BasicBlock>(b->second));
            }
        }
    auto *nh = cast<BasicBlock>(local[p.header]);
    k = 0;
    for (Value *v : p.live) {
        Argument *a = nf->getArg(k++);
        auto *phi = dyn_cast<PHINode>(v);
        if (phi && phi->getParent() == p.header) cast<PHINode>(local[phi])->addIncoming(a, entry);
    }
    BranchInst::Create(nh, entry);
    return nf;
}

} // namespace

extern "C" int kj_wrap_osr_continuation(LLVMValueRef fref, unsigned k, uint32_t sig,
                                        const char *name) {
    Function &f = *cast<Function>(unwrap(fref));
    osr_cfg cfg;
    std::vector<osr_point> points = osr_points(f, cfg, KJ_OSR_LIVE);
    Function *nf = nullptr;
    DenseMap<const Value *, Value *> local;
    for (osr_point &p : points)
        if (p.k == k && p.sig == sig) nf = osr_continuation(f, p, name, local);
    if (!nf) return 0;
    /* f itself is not wanted: its body goes, and it, if nothing names it
     * (calls of the function go through its stub, by its own name). */
    f.deleteBody();
    if (f.use_empty()) f.eraseFromParent();
    return 1;
}

extern "C" unsigned kj_wrap_osr_instrument(LLVMValueRef fref, LLVMValueRef poll_ref,
                                           LLVMValueRef fn_ref, unsigned max_live) {
    Function &f = *cast<Function>(unwrap(fref));
    auto *poll = cast<Function>(unwrap(poll_ref));
    Value *fnrec = unwrap(fn_ref);
    osr_cfg cfg;
    std::vector<osr_point> points = osr_points(f, cfg, max_live);
    LLVMContext &c = f.getContext();
    Type *i32 = Type::getInt32Ty(c);
    if (points.empty()) return 0;
    /* The activation's passes through its points, in its frame. */
    Instruction *first = &*f.getEntryBlock().getFirstInsertionPt();
    auto *ctr = new AllocaInst(i32, 0, "kj.osr.passes", first);
    new StoreInst(ConstantInt::get(i32, 0), ctr, first);
    for (osr_point &p : points) {
        BasicBlock *h = p.header;
        BasicBlock *rest = h->splitBasicBlock(h->getFirstNonPHI(), h->getName() + ".osr.rest");
        Instruction *term = h->getTerminator();
        auto *n = new LoadInst(i32, ctr, "kj.osr.n", term);
        auto *n1 = BinaryOperator::CreateAdd(n, ConstantInt::get(i32, 1), "kj.osr.n1", term);
        new StoreInst(n1, ctr, term);
        auto *low = BinaryOperator::CreateAnd(n1, ConstantInt::get(i32, KJ_OSR_EVERY - 1),
                                              "kj.osr.low", term);
        auto *due = new ICmpInst(term, ICmpInst::ICMP_EQ, low, ConstantInt::get(i32, 0),
                                 "kj.osr.due");
        BasicBlock *chk = BasicBlock::Create(c, "kj.osr.poll", &f);
        BasicBlock *go = BasicBlock::Create(c, "kj.osr.go", &f);
        BranchInst::Create(chk, rest, due, term);
        term->eraseFromParent();
        Value *args[4] = {fnrec, ConstantInt::get(i32, p.k), ConstantInt::get(i32, p.sig), n1};
        auto *to = CallInst::Create(poll->getFunctionType(), poll, args, "kj.osr.to", chk);
        auto *none = new ICmpInst(chk, ICmpInst::ICMP_EQ, to,
                                  ConstantPointerNull::get(cast<PointerType>(to->getType())),
                                  "kj.osr.none");
        BranchInst::Create(rest, go, none, chk);
        std::vector<Type *> params;
        for (Value *v : p.live) params.push_back(v->getType());
        auto *ft = FunctionType::get(f.getReturnType(), params, false);
        auto *r = CallInst::Create(ft, to, p.live, "", go);
        r->setCallingConv(CallingConv::C);
        ReturnInst::Create(c, f.getReturnType()->isVoidTy() ? nullptr : r, go);
    }
    return (unsigned)points.size();
}
