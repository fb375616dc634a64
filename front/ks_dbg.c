/*
 * ks_dbg.c — debug info for one function's IR (ks_dbg.h).
 */
#include "ks_dbg.h"
#include <string.h>

static const char flag[] = "Debug Info Version";

void ks_dbg_begin(ks_dbg *d, int on, LLVMModuleRef mod, LLVMValueRef fn, const char *name,
                  const char *file, int line) {
    memset(d, 0, sizeof *d);
    if (!on) return;
    d->ctx = LLVMGetModuleContext(mod);
    /* Once per module: a module may get several functions (inlined bodies). */
    if (!LLVMGetModuleFlag(mod, flag, sizeof flag - 1)) {
        LLVMValueRef v = LLVMConstInt(LLVMInt32TypeInContext(d->ctx), LLVMDebugMetadataVersion(), 0);
        LLVMAddModuleFlag(mod, LLVMModuleFlagBehaviorWarning, flag, sizeof flag - 1,
                          LLVMValueAsMetadata(v));
    }
    d->di = LLVMCreateDIBuilderDisallowUnresolved(mod);
    if (!file) file = "";
    LLVMMetadataRef f = LLVMDIBuilderCreateFile(d->di, file, strlen(file), "", 0);
    LLVMDIBuilderCreateCompileUnit(d->di, LLVMDWARFSourceLanguageC, f, "kjit", 4, 1, "", 0, 0,
                                   "", 0, LLVMDWARFEmissionFull, 0, 0, 0, "", 0, "", 0);
    LLVMMetadataRef ty = LLVMDIBuilderCreateSubroutineType(d->di, f, NULL, 0, LLVMDIFlagZero);
    unsigned l = line > 0 ? (unsigned)line : 0;
    d->sp = LLVMDIBuilderCreateFunction(d->di, f, name, strlen(name), "", 0, f, l, ty, 0, 1, l,
                                        LLVMDIFlagZero, 1);
    LLVMSetSubprogram(fn, d->sp);
}

void ks_dbg_at(ks_dbg *d, LLVMBuilderRef b, int line, int col) {
    if (!d->di) return;
    LLVMMetadataRef loc = LLVMDIBuilderCreateDebugLocation(
        d->ctx, line > 0 ? (unsigned)line : 0, col > 0 ? (unsigned)col : 0, d->sp, NULL);
    LLVMSetCurrentDebugLocation2(b, loc);
}

void ks_dbg_end(ks_dbg *d) {
    if (!d->di) return;
    LLVMDIBuilderFinalize(d->di);
    LLVMDisposeDIBuilder(d->di);
    d->di = NULL;
}
