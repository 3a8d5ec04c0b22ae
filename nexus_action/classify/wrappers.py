"""Detail beats banner: a wrapper or banner line hands its rank to the detail block it points to.

Tools print lines that say *that* something failed, around the lines that say *what* failed:
- `role: wrapper` rules sum up what came before ("BUILD FAILED", Maven's `Failed to execute goal`, pnpm's
  `ERR_PNPM_RECURSIVE_RUN_FIRST_FAIL`, just's `Recipe ... failed`, "N failed", "see log above"): they point
  to the nearest detail candidate above them in the same step, else below;
- `role: banner` rules announce what follows (pytest's `=== FAILURES ===`, mocha's `N failing`, PHPUnit's
  `There was 1 failure:`, Gradle's `* What went wrong:`, pip's `error: subprocess-exited-with-error`): they point
  to a detail candidate inside their own block, else to the first detail line of that block (a line no rule
  knows, but the one the tool put there to explain), else to the nearest candidate below, then above.

The detail takes a rank above the wrapper's (a banner's detail also one above its own); the wrapper drops to
WRAPPER_AS_CONTEXT (still a blocker, below its detail). A banner's first detail line becomes a blocker of its
own whose span starts at the banner, so the banner stays in view as context. A wrapper with no detail within
WRAPPER_REACH lines keeps its rank.
"""

from __future__ import annotations

from dataclasses import replace

from nexus_action.classify.blocks import BlockTracker, Candidate, excerpt_of

WRAPPER_ROLES = ("wrapper", "banner")
WRAPPER_REACH = 400
# Just above the exit lines and the guesses (red line, last output): below every detail, above the echoes.
WRAPPER_AS_CONTEXT = 5
MIN_DETAIL_PRIORITY = 3  # a red line no rule knows still explains a wrapper better than the wrapper does
# Inside a banner's block only a line some rule knows beats the banner's own first detail line (the guesses,
# red lines and the last output before an exit, do not).
MIN_RULE_PRIORITY = 10


def resolve_wrappers(candidates: list[Candidate], blocks: BlockTracker) -> list[Candidate]:
    """The candidates with each wrapper's rank moved to its detail (new list; the input is not changed)."""
    wrappers = [c for c in candidates if c.rule.role in WRAPPER_ROLES]
    if not wrappers:
        return list(candidates)
    details = sorted(
        (c for c in candidates if c.rule.role not in WRAPPER_ROLES and c.priority >= MIN_DETAIL_PRIORITY),
        key=lambda c: c.blocker.log_line,
    )
    lifted: dict[int, int] = {}  # index in `details` -> the rank a wrapper hands it
    extra: list[Candidate] = []
    out = [c for c in candidates if c.rule.role not in WRAPPER_ROLES]
    for wrapper in wrappers:
        target = _detail_for(wrapper, details, blocks)
        if target is None:
            own = _banner_detail(wrapper, blocks) if wrapper.rule.role == "banner" else None
            if own is None:
                out.append(wrapper)
                continue
            extra.append(own)
        else:
            # A wrapper lifts its detail above itself; a banner (a runner's failure list) lifts it one above its
            # own rank too, so it outranks an equal line elsewhere (the same test's inline echo).
            bump = details[target].priority + 1 if wrapper.rule.role == "banner" else 0
            lifted[target] = max(lifted.get(target, 0), wrapper.priority + 1, bump)
        out.append(replace(wrapper, priority=min(wrapper.priority, WRAPPER_AS_CONTEXT)))
    rank = {id(d): p for i, d in enumerate(details) if (p := lifted.get(i)) is not None}
    return [replace(c, priority=max(c.priority, rank[id(c)])) if id(c) in rank else c for c in out] + extra


def _detail_for(wrapper: Candidate, details: list[Candidate], blocks: BlockTracker) -> int | None:
    at, step = wrapper.blocker.log_line, wrapper.blocker.step
    near = [
        (i, d)
        for i, d in enumerate(details)
        if d.blocker.step == step and d.blocker.log_line != at and abs(d.blocker.log_line - at) <= WRAPPER_REACH
    ]
    above = [i for i, d in near if d.blocker.log_line < at]
    below = [i for i, d in near if d.blocker.log_line > at]
    if wrapper.rule.role == "wrapper":
        # below a wrapper only a line some rule knows is detail: the guesses there are the tool's own echo
        below = [i for i in below if details[i].priority >= MIN_RULE_PRIORITY]
        return above[-1] if above else (below[0] if below else None)
    block = blocks.get(at)
    inside = [
        i
        for i in below
        if block is not None and details[i].blocker.log_line <= block.end and details[i].priority >= MIN_RULE_PRIORITY
    ]
    if inside:
        return inside[0]
    if block is not None and block.first_detail is not None:
        return None  # the banner's own detail line is nearer than any other candidate below
    return below[0] if below else (above[-1] if above else None)


def _banner_detail(banner: Candidate, blocks: BlockTracker) -> Candidate | None:
    """The first detail line of a banner's block, as a blocker whose span keeps the banner as context."""
    block = blocks.get(banner.blocker.log_line)
    if block is None or block.first_detail is None:
        return None
    text = " ".join(block.lines[block.first_detail - block.head].split())
    detail = replace(
        banner.blocker,
        log_line=block.first_detail,
        text=text,
        file=None,
        line=None,
        column=None,
        span=block.span,
        excerpt=excerpt_of(block, text),
    )
    return replace(banner, blocker=detail)
