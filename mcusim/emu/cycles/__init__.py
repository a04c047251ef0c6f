"""Per-core cycle model: versioned timing tables applied per translated block.

Each core has a TOML table here (`cortex-m4.toml`, `cortex-m33.toml`, `cortex-m7.toml`) with
a `version` and the citation of every number. A block is decoded once with capstone; its cost
is the sum of the table costs of its instructions (with load/store pipelining and, on the M7,
greedy dual-issue pairing), plus the taken-branch penalty when it ends in an unconditional
branch. A block ending in a conditional branch pays the penalty only when the branch is taken
(decided by the native hook from the next block's address). Flash wait states are added by
the machine (`fetch_extra`), from what the firmware programmed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import capstone
from capstone import arm_const as A

from mcusim.errors import McusimError

_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class CycleTable:
    """One core's timing table."""

    name: str
    version: str
    dual_issue: bool
    costs: dict[str, int]
    taken_penalty: int
    latency: dict[str, int] = field(default_factory=dict)   # operand latencies (M33 scoreboard)

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"


@cache
def load_table(core: str) -> CycleTable:
    """Load the table for `core` ("cortex-m4", "cortex-m33", "cortex-m7")."""
    path = _DIR / f"{core.lower()}.toml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in _DIR.glob("*.toml")))
        raise McusimError(f"no cycle table for core {core!r}", hint=f"known cores: {known}")
    data = tomllib.loads(path.read_text())
    costs: dict[str, int] = {}
    latency: dict[str, int] = {}
    taken = None
    if "inherits" in data:
        base = load_table(data["inherits"])
        costs.update(base.costs)
        latency.update(base.latency)
        taken = base.taken_penalty
    costs.update(data.get("costs", {}))
    latency.update(data.get("latency", {}))
    taken = data.get("branch", {}).get("taken_penalty", taken)
    return CycleTable(data["name"], str(data["version"]), bool(data.get("dual_issue", False)),
                      costs, int(taken), latency)


# --- instruction classes -------------------------------------------------------------------

def _ids(*names: str) -> frozenset[int]:
    return frozenset(getattr(A, f"ARM_INS_{n}") for n in names if hasattr(A, f"ARM_INS_{n}"))


_MUL = _ids("MUL", "MLA", "MLS", "SMULL", "UMULL", "SMLAL", "UMLAL", "UMAAL", "SMULBB", "SMULBT",
            "SMULTB", "SMULTT", "SMULWB", "SMULWT", "SMLABB", "SMLABT", "SMLATB", "SMLATT",
            "SMLAWB", "SMLAWT", "SMLAD", "SMLADX", "SMLSD", "SMLSDX", "SMUAD", "SMUADX", "SMUSD",
            "SMUSDX", "SMLALD", "SMLALDX", "SMLSLD", "SMLSLDX", "SMMUL", "SMMULR", "SMMLA",
            "SMMLAR", "SMMLS", "SMMLSR", "SMLALBB", "SMLALBT", "SMLALTB", "SMLALTT", "USAD8",
            "USADA8")
_DIV = _ids("SDIV", "UDIV")
_LOAD = _ids("LDR", "LDRB", "LDRH", "LDRSB", "LDRSH", "LDRT", "LDRBT", "LDRHT", "LDRSBT",
             "LDRSHT")
_STORE = _ids("STR", "STRB", "STRH", "STRT", "STRBT", "STRHT")
_DUAL = _ids("LDRD", "STRD")
_MULTI = _ids("LDM", "LDMDB", "STM", "STMDB", "PUSH", "POP")
_EXCL = _ids("LDREX", "LDREXB", "LDREXH", "STREX", "STREXB", "STREXH", "LDA", "STL", "LDAEX",
             "STLEX")
_BARRIER = _ids("DMB", "DSB", "ISB")
_SYSREG = _ids("MRS", "MSR")
_CPS = _ids("CPS")
_SVC = _ids("SVC", "BKPT", "UDF")
_WFI = _ids("WFI", "WFE", "SEV", "YIELD")
_NOP = _ids("NOP")
_IT = _ids("IT")
_BRANCH = _ids("B", "BL", "BX", "BLX", "CBZ", "CBNZ", "BXNS", "BLXNS")
_TB = _ids("TBB", "TBH")
_SAT = _ids("SSAT", "USAT", "SSAT16", "USAT16", "BFI", "BFC", "UBFX", "SBFX", "SXTB", "SXTH",
            "UXTB", "UXTH", "SXTB16", "UXTB16", "SXTAB", "SXTAH", "UXTAB", "UXTAH", "SXTAB16",
            "UXTAB16", "REV", "REV16", "REVSH", "RBIT", "CLZ")
_FP_MAC = _ids("VMLA", "VMLS", "VNMLA", "VNMLS", "VFMA", "VFMS", "VFNMA", "VFNMS")
_FP_DIV = _ids("VDIV")
_FP_SQRT = _ids("VSQRT")
_FP_LOAD = _ids("VLDR")
_FP_STORE = _ids("VSTR")
_FP_MULTI = _ids("VLDMIA", "VLDMDB", "VSTMIA", "VSTMDB", "VPUSH", "VPOP")
_FP_MOV = _ids("VMOV")
_FP_SYS = _ids("VMRS", "VMSR")
# M7 resources for dual issue (ARMScheduleM7.td): units an instruction occupies.
_SIMD = _ids("SADD16", "SADD8", "SSUB16", "SSUB8", "UADD16", "UADD8", "USUB16", "USUB8", "QADD",
             "QSUB", "QADD16", "QADD8", "QSUB16", "QSUB8", "SEL", "SXTB16", "UXTB16", "SXTAB16",
             "UXTAB16", "PKHBT", "PKHTB", "SHADD16", "SHADD8", "UHADD16", "UHADD8", "SSAT16",
             "USAT16", "QDADD", "QDSUB", "SASX", "SSAX", "UASX", "USAX")
# BeginGroup (first of a dual-issue pair only) in ARMScheduleM7.td: CLZ/BFI/BFC (M7Slot0Only)
# and every M7WriteSIMD*/M7WriteShSIMD* instruction (SIMD add/sub, SEL, Q-ops, SSAT/USAT,
# SXT/UXT(A)(B|H|B16), SBFX/UBFX, PKH, REV/RBIT, USAD8/USADA8).
_SLOT0 = _ids("CLZ", "BFI", "BFC", "SSAT", "USAT", "SXTB", "SXTH", "UXTB", "UXTH", "SXTAB",
              "SXTAH", "UXTAB", "UXTAH", "SBFX", "UBFX", "REV", "REV16", "REVSH", "RBIT",
              "USAD8", "USADA8", "QADD8", "QSUB8", "UQADD8", "UQADD16", "UQSUB8", "UQSUB16",
              "QASX", "QSAX", "UQASX", "UQSAX", "SHSUB16", "SHSUB8", "UHSUB16", "UHSUB8",
              "SHASX", "SHSAX", "UHASX", "UHSAX")
_SINGLE_ISSUE = _DIV | _DUAL | _MULTI | _FP_MULTI | _TB | _BARRIER | _SYSREG | _EXCL | _SVC | _WFI

# Operand-latency scoreboard (tables with a [latency] section, the M33): which operands are
# read late (one cycle after issue) and which results come late.
_MAC_ACC3 = _ids("MLA", "MLS", "SMLAD", "SMLADX", "SMLSD", "SMLSDX", "SMLABB", "SMLABT", "SMLATB",
                 "SMLATT", "SMLAWB", "SMLAWT", "SMMLA", "SMMLAR", "SMMLS", "SMMLSR", "USADA8")
_MAC_LONG = _ids("SMLAL", "UMLAL", "UMAAL", "SMLALD", "SMLALDX", "SMLSLD", "SMLSLDX", "SMLALBB",
                 "SMLALBT", "SMLALTB", "SMLALTT")
_XTA = _ids("SXTAB16", "SXTAB", "SXTAH", "UXTAB", "UXTAH", "UXTAB16")
_LOAD_MULTI = _ids("LDM", "LDMDB", "POP")
_STORE_MULTI = _ids("STM", "STMDB", "PUSH")
_MOVES = _ids("MOV", "MVN", "MOVW", "MOVT")
_LOAD_PREFIXES = ("ldr", "ldm", "pop", "lda")
_CORE = frozenset([getattr(A, f"ARM_REG_R{k}") for k in range(13)] + [A.ARM_REG_SP, A.ARM_REG_LR])

F_COND_BRANCH = 1
F_MOVES_SP = 2


@dataclass
class BlockCost:
    """Static cost of one translated block."""

    n_insn: int = 0
    cost: int = 0
    taken_extra: int = 0
    flags: int = 0
    sp_drop: int = 0
    load_prefix: int = 0        # cycles before the first non-literal load (CYCCNT reads)
    stalls: int = 0             # operand-latency stall cycles inside the block (in `cost`)
    stall_kinds: dict[str, int] = field(default_factory=dict)  # stalls by producer class
    mnemonics: list[str] = field(default_factory=list)


def _writes_pc(insn) -> bool:
    if insn.id in _BRANCH or insn.id in _TB:
        return True
    try:
        _, written = insn.regs_access()
    except capstone.CsError:
        return False
    return A.ARM_REG_PC in written


def _is_double(insn) -> bool:
    return ".f64" in insn.mnemonic or any(
        op.type == A.ARM_OP_REG and A.ARM_REG_D0 <= op.reg <= A.ARM_REG_D31 for op in insn.operands
    )


def _reg_count(insn) -> int:
    return sum(1 for op in insn.operands if op.type == A.ARM_OP_REG) - (
        1 if insn.id in (_ids("LDM", "LDMDB", "STM", "STMDB", "VLDMIA", "VLDMDB", "VSTMIA",
                               "VSTMDB")) else 0)


class BlockCoster:
    """Decode blocks with capstone and cost them with a `CycleTable`."""

    def __init__(self, table: CycleTable):
        self.table = table
        self.md = capstone.Cs(capstone.CS_ARCH_ARM, capstone.CS_MODE_THUMB | capstone.CS_MODE_MCLASS)
        self.md.detail = True

    def insn_cost(self, insn, prev_ls: bool) -> tuple[int, str]:
        """Cycles of one instruction and its class name."""
        c = self.table.costs
        i = insn.id
        if i in _IT:
            return c["it"], "it"
        if i in _NOP:
            return c["nop"], "nop"
        if i in _MUL:
            return c["mul"], "mul"
        if i in _DIV:
            return c["div"], "div"
        if i in _LOAD or i in _STORE:
            kind = "load" if i in _LOAD else "store"
            return (c["ls_pipelined"] if prev_ls else c[kind]), kind
        if i in _DUAL:
            return c["ldrd"], "ldrd"
        if i in _MULTI:
            return c["multi_base"] + max(1, _reg_count(insn)), "multi"
        if i in _EXCL:
            return c["exclusive"], "excl"
        if i in _BARRIER:
            return c["barrier"], "barrier"
        if i in _SYSREG:
            return c["sysreg"], "sysreg"
        if i in _CPS:
            return c["cps"], "cps"
        if i in _SVC:
            return c["svc"], "svc"
        if i in _WFI:
            return c["wfi"], "wfi"
        if i in _TB:
            return c["tbb"], "branch"
        if i in _BRANCH:
            return c["branch"], "branch"
        if i in _SAT:
            return c["sat"], "sat"
        if i in _FP_MAC:
            return c["fp_mac"], "fp"
        if i in _FP_DIV or i in _FP_SQRT:
            key = "fp_div" if i in _FP_DIV else "fp_sqrt"
            if _is_double(insn) and "fp_div64" in c:
                return c["fp_div64"], "fpdiv"
            return c[key], "fpdiv"
        if i in _FP_LOAD or i in _FP_STORE:
            base = c["fp_load"] if i in _FP_LOAD else c["fp_store"]
            return base + (1 if _is_double(insn) else 0), "fpls"
        if i in _FP_MULTI:
            n = max(1, _reg_count(insn))
            return c["fp_multi_base"] + n * (2 if _is_double(insn) else 1), "fpmulti"
        if i in _FP_MOV:
            core_regs = sum(1 for op in insn.operands
                            if op.type == A.ARM_OP_REG and A.ARM_REG_R0 <= op.reg <= A.ARM_REG_R12)
            return c["fp_mov"] * (2 if core_regs >= 2 else 1), "fp"
        if i in _FP_SYS:
            return c["fp_sys"], "fp"
        if insn.mnemonic.startswith("v"):
            return c["fp_alu"], "fp"
        return c["alu"], "alu"

    def cost(self, code: bytes, addr: int) -> BlockCost:
        """Cost of the block of `code` starting at `addr` (a Thumb address, bit 0 clear)."""
        out = BlockCost()
        insns = list(self.md.disasm(code, addr))
        decoded = sum(x.size for x in insns)
        if decoded < len(code):                      # undecodable tail: 1 cycle per halfword
            extra = (len(code) - decoded + 1) // 2
            out.n_insn += extra
            out.cost += extra * self.table.costs["alu"]
        prev_ls = False
        first_load_seen = False
        costs: list[tuple[object, int, str]] = []
        for insn in insns:
            cyc, kind = self.insn_cost(insn, prev_ls)
            prev_ls = kind in ("load", "store")
            if kind in ("load", "ldrd", "excl") and not first_load_seen \
                    and "pc" not in insn.op_str.split("[", 1)[-1]:
                out.load_prefix = sum(x[1] for x in costs)
                first_load_seen = True
            costs.append((insn, cyc, kind))
            out.mnemonics.append(insn.mnemonic)
            drop = self._sp_drop(insn)
            if drop:
                out.sp_drop += drop
        out.n_insn += len(insns)
        if self.table.dual_issue:
            out.cost += self._dual_issue_cost(costs)
        else:
            out.cost += sum(c for _, c, _ in costs)
        if self.table.latency:
            out.stall_kinds = self._stalls(costs)
            out.stalls = sum(out.stall_kinds.values())
            out.cost += out.stalls
        if out.sp_drop:
            out.flags |= F_MOVES_SP
        if insns:
            last = insns[-1]
            if _writes_pc(last):
                conditional = last.id in _ids("CBZ", "CBNZ") or last.cc not in (A.ARM_CC_AL, 0)
                if last.id in _ids("BL", "BLX") and last.cc in (A.ARM_CC_AL, 0):
                    conditional = False
                penalty = self.table.taken_penalty
                if conditional:
                    out.flags |= F_COND_BRANCH
                    out.taken_extra = penalty
                else:
                    out.cost += penalty
        return out

    def _stalls(self, costs) -> dict[str, int]:
        """Operand-latency stall cycles of one block by the class of the instruction waited
        for: an in-order scoreboard over the core registers, every register ready at the
        block's start (see the table's [latency])."""
        lat = self.table.latency
        ready: dict[int, tuple[int, str]] = {}      # register -> (cycle it is usable, producer)
        stalls: dict[str, int] = {}
        t = 0
        for insn, cyc, kind in costs:
            reads, late, writes = _operands(insn)
            need, waited = t, ""
            for reg in reads:
                if reg not in ready:
                    continue
                at, producer = ready[reg]
                if reg in late and not (insn.id in _XTA and producer == "load"):
                    at -= 1
                if at > need:
                    need, waited = at, producer
            if need > t:
                stalls[waited] = stalls.get(waited, 0) + need - t
            t = need + cyc
            result = self._result_latency(insn, kind, lat)
            for reg in writes:
                if insn.mnemonic.startswith(_LOAD_PREFIXES) and not _is_base(insn, reg):
                    ready[reg] = (need + cyc - 1 + lat.get("load", 1), "load")
                else:
                    ready[reg] = (need + max(cyc, result), kind)
        return stalls

    @staticmethod
    def _result_latency(insn, kind: str, lat: dict[str, int]) -> int:
        if kind == "mul":
            return lat.get("mul", 1)
        if insn.id in _XTA:
            return lat.get("extend_add", 1)
        if kind == "alu" and insn.id not in _MOVES and _shifted_operand(insn):
            return lat.get("shifted", 1)
        return 1

    @staticmethod
    def _sp_drop(insn) -> int:
        """Bytes the instruction moves SP down (push, vpush, sub sp, stmdb sp!)."""
        i = insn.id
        if i in _ids("PUSH"):
            return 4 * len(insn.operands)
        if i in _ids("VPUSH"):
            return sum(8 if A.ARM_REG_D0 <= op.reg <= A.ARM_REG_D31 else 4 for op in insn.operands)
        if i in _ids("SUB", "SUBW") and insn.operands and insn.operands[0].type == A.ARM_OP_REG \
                and insn.operands[0].reg == A.ARM_REG_SP and insn.operands[-1].type == A.ARM_OP_IMM:
            return insn.operands[-1].imm
        if i in _ids("STMDB", "STR") and "sp" in insn.op_str and insn.writeback:
            return 4 * max(1, len(insn.operands) - 1)
        return 0

    def _dual_issue_cost(self, costs) -> int:
        """Greedy pairing of adjacent instructions (Cortex-M7 approximation, see the table)."""
        total = 0
        k = 0
        n = len(costs)
        while k < n:
            a, ca, ka = costs[k]
            if k + 1 < n and self._can_pair(a, ka, *costs[k + 1][0::2]):
                cb = costs[k + 1][1]
                total += max(ca, cb, 1)
                k += 2
            else:
                total += ca
                k += 1
        return total

    def _can_pair(self, a, ka: str, b, kb: str) -> bool:
        if a.id in _SINGLE_ISSUE or b.id in _SINGLE_ISSUE or ka == "it" or kb == "it":
            return False
        if b.id in _SIMD or b.id in _SLOT0:
            return False                                  # DSP/SIMD only first of a pair
        units = {"store": "st", "mul": "mac", "fp": "fp", "fpdiv": "fp", "fpls": "ls",
                 "branch": "br", "fpmulti": "ls"}
        ua, ub = units.get(ka), units.get(kb)
        if ua is not None and ua == ub:
            return False
        if ka == "branch":
            return False                                  # nothing issues after a branch
        if self._shifted(a) and self._shifted(b):
            return False
        try:
            _, wa = a.regs_access()
            rb, _ = b.regs_access()
        except capstone.CsError:
            return False
        return not (set(wa) & set(rb))

    @staticmethod
    def _shifted(insn) -> bool:
        if insn.id in _SAT:
            return True
        return any(op.type == A.ARM_OP_REG and op.shift.type != 0 and op.shift.value
                   for op in insn.operands)


def _is_base(insn, reg: int) -> bool:
    """`reg` is the written-back base of a load (ready like an ALU result), not loaded data."""
    if insn.id == A.ARM_INS_POP:
        return reg == A.ARM_REG_SP
    if insn.id in _LOAD_MULTI:
        return bool(insn.operands) and insn.operands[0].reg == reg
    return any(op.type == A.ARM_OP_MEM and op.mem.base == reg for op in insn.operands)


def _operands(insn) -> tuple[set[int], set[int], set[int]]:
    """Core registers an instruction reads, those it reads late (MAC accumulator, store data,
    extend-and-add accumulator) and those it writes. From the operand list, because capstone's
    regs_access misses some sources (SXTAB16's Rm, PKH's Rm, SMLAL's accumulators)."""
    i = insn.id
    ops = insn.operands
    try:
        cs_read, cs_written = insn.regs_access()
    except capstone.CsError:
        cs_read, cs_written = (), ()
    regs = [op.reg for op in ops if op.type == A.ARM_OP_REG]
    mem = {r for op in ops if op.type == A.ARM_OP_MEM for r in (op.mem.base, op.mem.index) if r}
    late: set[int] = set()
    if i in _LOAD_MULTI:
        reads = {A.ARM_REG_SP} if i in _ids("POP") else set(regs[:1])
    elif i in _LOAD or (i in _DUAL or i in _EXCL) and insn.mnemonic.startswith("ld"):
        reads = set(mem)
    elif i in _STORE or i in _DUAL or i in _STORE_MULTI or i in _EXCL:
        data = regs if i not in _ids("STM", "STMDB") else regs[1:]
        reads = set(regs) | mem | ({A.ARM_REG_SP} if i in _ids("PUSH") else set())
        late = set(data)
    else:
        reads = set(cs_read) | set(regs[1:]) | mem
        if i in _MAC_ACC3 and len(regs) == 4:
            late = {regs[3]}
        elif i in _MAC_LONG and len(regs) == 4:
            reads |= {regs[0], regs[1]}
            late = {regs[0], regs[1]}
        elif i in _XTA and len(regs) == 3:
            late = {regs[1]}
    return reads & _CORE, late, set(cs_written) & _CORE


def _shifted_operand(insn) -> bool:
    """Data processing with a shifted register or a rotated constant as its second operand
    (an 8-bit value, a replicated byte pattern and ADDW/SUBW's 12-bit value are not rotated)."""
    for op in insn.operands:
        if op.type == A.ARM_OP_REG and op.shift.type and op.shift.value:
            return True
        if op.type == A.ARM_OP_IMM and not insn.mnemonic.startswith(("addw", "subw")) \
                and insn.mnemonic[:3] not in ("lsl", "lsr", "asr", "ror"):
            v = op.imm & 0xFFFF_FFFF
            lo, hi = v & 0xFF, (v >> 8) & 0xFF
            if v not in (lo, lo * 0x0001_0001, hi * 0x0100_0100, lo * 0x0101_0101):
                return True
    return False
