"""The search: Optuna proposes staffings, the simulation judges them, fresh replications confirm the choice.

Optuna (its TPE sampler with constraints; a grid sampler for an exhaustive search; random for a
baseline) proposes a batch of staffings at a time; each is judged (:mod:`sim.optimise.evaluate`) on
the same replications, on local processes or Dask, and told back with its cost and, as
constraints, how far each target's bound falls short.  A staffing whose every target *mean* is met
but not every *bound*, and that would beat the best so far, gets more replications (doubling, up to
``max_replications``) before it is told.  The study is kept in ``OUT/study.db`` (SQLite) and every
replication in ``OUT/evals/``, so a search stopped at any point continues where it stopped: the
batch it was judging is judged again from its cached replications, and the search goes on as if
never stopped.  Same seed, same batches: the same search on any machine and any number of workers.

At the end the cheapest staffing that met the targets is confirmed on ``confirm_replications``
fresh replications (never used by the search, so the selection's optimism does not carry over); if
it fails there, the next cheapest is tried, up to :data:`CONFIRM_TRIES`.  A staffing that meets the targets
and would be the cheapest so far is judged on ``max_replications`` before it counts as met, so the
search's best is rarely a staffing that was lucky on a few replications.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import ScenarioError
from ..executors import connected, execute
from ..executors import progress as progress_bar
from ..files import atomic_write
from .evaluate import CONFIRM_FROM, Judgement, judge, key, replication, wage_cost
from .spec import Target, Variable

#: Staffings the confirmation may try in turn.  Every bound, in the search and in the confirmation, is at level
#: 1 - alpha/(k * CONFIRM_TRIES): a pass by luck among the tries stays under alpha, and the search accepts only
#: what the confirmation can pass.
CONFIRM_TRIES = 3
SAMPLERS = ("tpe", "grid", "random")
#: Fields that are staff: one level less of them costs less (the others, such as a share stationed or the grid
#: leaders taken from the intake staff, move staff about).
CAPACITY_FIELDS = (
    ".headcount",
    ".intake_staff",
    ".intake_per_area",
    ".stationed_per_area",
    ".staff_per_area",
    ".staff_per_unit",
    ".leaders_per_area",  # the surge protocol's extra leaders (merged.grid_leaders_per_area come from the intake)
    ".operators",
    "volunteers.per_area",
)
BIG = 1e6  # the constraint of a target that was not reached at all (a NaN bound)


@dataclass
class Problem:
    """One model's staffing search: what it varies, must reach and minimises, and how hard it looks."""

    raw: dict  # the base scenario, plain data
    model: str
    variables: list[Variable]
    targets: list[Target]
    cost: str = "staffed_hours"
    objective: str = "staffed_hours"  # the cost, or a metric (then ``budget`` caps the cost)
    maximise: bool = False
    budget: float | None = None
    trials: int = 120
    replications: int = 5
    max_replications: int = 20
    confirm_replications: int = 30
    sampler: str = "tpe"
    batch: int = 4
    seed: int = 0
    alpha: float = 0.05
    wages: dict[str, float] | None = None  # per role (office kind), for the cost wage_cost
    reference: dict | None = None  # with --match: the partner model and its capacity at the scenario's staffing

    @property
    def space_size(self) -> int:
        return math.prod(len(v.levels) for v in self.variables)

    def values(self, params: dict) -> dict:
        """A staffing (``path: value``) from a trial's parameters."""
        return {v.path: v.value(params[v.path]) for v in self.variables}

    def own(self) -> dict:
        """Optuna parameters of the scenario's own staffing: each variable's level nearest its scenario value."""
        return {v.path: min(v.levels, key=lambda x: abs(x - v.base)) for v in self.variables}

    def fingerprint(self) -> str:
        """What makes two searches the same search (a results folder holds one)."""
        spec = {k: getattr(self, k) for k in ("model", "cost", "objective", "maximise", "budget", "sampler", "batch")}
        spec |= {"raw": self.raw, "targets": [t.__dict__ for t in self.targets], "alpha": self.alpha}
        spec |= {"variables": [v.__dict__ for v in self.variables], "replications": self.replications}
        spec |= {"max_replications": self.max_replications, "seed": self.seed, "wages": self.wages}
        return hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]

    def judged(self, reps: pd.DataFrame) -> Judgement:
        """The verdict on ``reps``: each bound at level 1 - alpha/(k * CONFIRM_TRIES) (see :data:`CONFIRM_TRIES`)."""
        if self.wages is not None:
            reps = reps.assign(wage_cost=wage_cost(reps, self.wages))
        return judge(reps, self.targets, self.alpha / CONFIRM_TRIES)

    def score(self, j: Judgement) -> float:
        """The objective as Optuna minimises or maximises it: the cost, or the metric's mean."""
        return j.cost(self.objective)

    def violations(self, j: Judgement) -> dict[str, float]:
        """Constraints for the sampler (<= 0 met): each target's relative shortfall, and the budget's."""
        out = dict(zip((t.metric for t in self.targets), j.violations()))
        if self.budget is not None:
            out["budget"] = (j.cost(self.cost) - self.budget) / self.budget
        return {k: min(v, BIG) if not math.isnan(v) else BIG for k, v in out.items()}

    def acceptable(self, j: Judgement) -> bool:
        return j.feasible and (self.budget is None or j.cost(self.cost) <= self.budget)

    def better(self, a: float, b: float) -> bool:
        return a > b if self.maximise else a < b


class Evaluations:
    """Every replication of every staffing judged so far: ``OUT/evals/<model>/<key>-<first rep>.csv``.

    A file is written whole (atomically) when a stage of replications finishes.
    """

    def __init__(self, out: Path, model: str):
        self.folder, self.model = Path(out) / "evals" / model, model
        self.reps: dict[str, pd.DataFrame] = {}
        for f in sorted(self.folder.glob("*.csv")) if self.folder.is_dir() else ():
            self._add(f.stem.rsplit("-", 1)[0], pd.read_csv(f, index_col="replication"))
        self.errors: dict[str, str] = {}
        self.run = 0  # replications simulated by this process

    def _add(self, k: str, rows: pd.DataFrame) -> None:
        old = self.reps.get(k)
        self.reps[k] = rows if old is None else pd.concat([old, rows]).sort_index()

    def searched(self, k: str, n: int) -> pd.DataFrame:
        """The first ``n`` replications of staffing ``k`` (0 to n - 1, shared by every staffing): what it was
        judged on in the search."""
        return self.of(k).iloc[:n]

    def of(self, k: str, confirm: bool = False) -> pd.DataFrame:
        """The replications of staffing ``k``: the search's, or the confirmation's."""
        rows = self.reps.get(k, pd.DataFrame(index=pd.Index([], name="replication")))
        return rows[rows.index >= CONFIRM_FROM] if confirm else rows[rows.index < CONFIRM_FROM]

    def fill(self, problem: Problem, wanted: dict[str, tuple[dict, range]], workers: int, scheduler) -> None:
        """Simulate the replications of each staffing ``key: (values, reps)`` not yet here."""
        jobs = [
            (values, r)
            for k, (values, reps) in wanted.items()
            if k not in self.errors
            for r in reps
            if r not in self.reps.get(k, pd.DataFrame()).index
        ]
        got: dict[str, dict[int, dict]] = {}
        for k, rep, result in execute(replication, jobs, workers, scheduler, shared=(problem.raw, problem.model)):
            if isinstance(result, str):
                self.errors[k] = result
            else:
                got.setdefault(k, {})[rep] = result
        self.run += len(jobs)
        for k, by_rep in got.items():
            rows = pd.DataFrame.from_dict(by_rep, orient="index").sort_index()
            rows.index.name = "replication"
            atomic_write(self.folder / f"{k}-{rows.index[0]}.csv", lambda p: rows.to_csv(p))
            self._add(k, rows)


@dataclass
class Outcome:
    """What a search found for one model."""

    problem: Problem
    table: pd.DataFrame  # one row per distinct staffing judged
    chosen: dict | None = None  # the staffing confirmed, if any
    confirmed: Judgement | None = None
    confirmations: list[tuple[str, Judgement]] = field(default_factory=list)
    simulated: int = 0  # replications simulated by this run (the rest came from the cache)
    evals: Evaluations | None = None


def _sampler(problem: Problem, batch_no: int):
    import optuna

    seed = int(hashlib.sha256(f"{problem.seed}:{problem.model}:{batch_no}".encode()).hexdigest()[:8], 16)
    if problem.sampler in ("random", "grid"):  # grid: every staffing is enqueued (open_study), in order
        return optuna.samplers.RandomSampler(seed=seed)
    startup = min(max(10, 2 * len(problem.variables)), max(problem.trials // 3, 1))
    # constraints: what _judge_batch sets on each trial (Trial.set_constraint), which TPE reads
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup, multivariate=True, constant_liar=True)


def _distributions(problem: Problem) -> dict:
    from optuna.distributions import CategoricalDistribution

    # categorical over the levels: every level exactly (a float step's rounding never drifts), ordered as given
    return {v.path: CategoricalDistribution(list(v.levels)) for v in problem.variables}


def open_study(problem: Problem, out: Path, fresh: bool = False):
    """The Optuna study of ``problem`` in ``OUT/study.db``: new, or the same search's to continue."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = f"sqlite:///{Path(out).absolute() / 'study.db'}"
    Path(out).mkdir(parents=True, exist_ok=True)
    name = problem.model
    if fresh:
        try:
            optuna.delete_study(study_name=name, storage=storage)
        except KeyError:
            pass
        for f in (Path(out) / "evals" / name).glob("*.csv"):
            f.unlink()
    study = optuna.create_study(
        study_name=name, storage=storage, direction="maximize" if problem.maximise else "minimize", load_if_exists=True
    )
    mark = study.user_attrs.get("fingerprint")
    if mark is None:
        study.set_user_attr("fingerprint", problem.fingerprint())
        if problem.sampler == "grid":  # Optuna's GridSampler stops the study itself, which ask-and-tell cannot take
            for levels in itertools.product(*(v.levels for v in problem.variables)):
                study.enqueue_trial(dict(zip((v.path for v in problem.variables), levels)))
            return study
        study.enqueue_trial(problem.own())  # the scenario's own staffing, snapped to the levels
        study.enqueue_trial({v.path: v.levels[-1] for v in problem.variables})  # the most of everything
    elif mark != problem.fingerprint():
        raise ScenarioError(
            str(out),
            [
                f"holds a different search of {name} (scenario, variables, targets or settings changed): "
                "use another --out, or --fresh to start over"
            ],
        )
    return study


def search(
    problem: Problem,
    out: Path,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool = False,
    fresh: bool = False,
) -> Outcome:
    """Search, then confirm; returns what was found (the study and the replications stay in ``out``)."""

    study = open_study(problem, out, fresh)
    evals = Evaluations(out, problem.model)
    done = _distinct(study)
    with (
        connected(workers, scheduler) as where,  # a Dask cluster started once for the whole search, not per batch
        progress_bar(
            progress, min(problem.trials, problem.space_size), "staffing", problem.model, initial=len(done), leave=True
        ) as bar,
    ):
        asked = len(study.trials)
        while len(done) < min(problem.trials, problem.space_size) and asked < 5 * problem.trials + 20:
            batch = next_batch(problem, study, len(done))
            asked += len(batch)
            _judge_batch(problem, study, batch, evals, workers, where)
            new = _distinct(study) - done
            done |= new
            bar.update(len(new))
            bar.set_postfix(replications=evals.run)
        outcome = Outcome(problem, trials_table(problem, study), evals=evals)
        _confirm(problem, outcome, evals, workers, where)
    outcome.simulated = evals.run
    return outcome


def next_batch(problem: Problem, study, done: int) -> list:
    """The trials to judge next: those asked and never told (a search stopped while judging them), else a new
    batch: staffings below the best (:func:`_descend`), then the sampler's, seeded by the batch's number."""
    import optuna
    from optuna.trial import TrialState

    batch = [optuna.trial.Trial(study, t._trial_id) for t in study.get_trials(states=(TrialState.RUNNING,))]
    if batch:
        return batch
    study.sampler = _sampler(problem, len(study.trials) // problem.batch)
    want = min(problem.trials, problem.space_size) - done  # the last batch: no more than asked for
    _descend(problem, study, max(min(problem.batch, want) // 2, 1))
    return [study.ask(_distributions(problem)) for _ in range(min(problem.batch, want))]


def _descend(problem: Problem, study, room: int) -> None:
    """Enqueue up to ``room`` staffings one level below the cheapest acceptable one in one variable each, not
    judged yet: staff cost rises with every variable, so the cheapest answer is often a step or two below a
    good one, where a sampler in many dimensions rarely lands.  Half a batch at most; TPE proposes the rest."""
    from optuna.trial import TrialState

    if problem.sampler != "tpe" or problem.objective != problem.cost:
        return
    good = [t for t in study.get_trials(states=(TrialState.COMPLETE,)) if t.user_attrs.get("acceptable")]
    if not good:
        return
    best = min(good, key=lambda t: (t.value, t.number))
    seen = _distinct(study) | {key(problem.values(t.params)) for t in study.get_trials(states=(TrialState.WAITING,))}
    for v in (v for v in problem.variables if v.path.endswith(CAPACITY_FIELDS)):  # a step that saves staff
        k = v.levels.index(best.params[v.path])
        if room and k > 0:
            down = best.params | {v.path: v.levels[k - 1]}
            if key(problem.values(down)) not in seen:
                study.enqueue_trial(down)
                room -= 1


def _distinct(study) -> set[str]:
    from optuna.trial import TrialState

    return {
        t.user_attrs["key"]
        for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.FAIL))
        if "key" in t.user_attrs
    }


def _best(problem: Problem, study, before: int) -> float:
    """The objective of the best acceptable staffing among trials numbered below ``before`` (inf or -inf: none):
    the trials before a batch, so that a batch judged again after a stop decides as it did the first time."""
    from optuna.trial import TrialState

    done = study.get_trials(states=(TrialState.COMPLETE,))
    scores = [t.value for t in done if t.number < before and t.user_attrs.get("acceptable")]
    if not scores:
        return -math.inf if problem.maximise else math.inf
    return max(scores) if problem.maximise else min(scores)


def _judge_batch(problem: Problem, study, batch: list, evals: Evaluations, workers: int, scheduler) -> None:
    """Judge each trial of ``batch``: replications in stages while a trial is undecided and promising; tell all."""
    from optuna.trial import TrialState

    staffing = {t.number: problem.values(t.params) for t in batch}
    n = {t.number: problem.replications for t in batch}
    live = list(batch)
    best = _best(problem, study, min(t.number for t in batch))
    while live:
        evals.fill(
            problem,
            {key(staffing[t.number]): (staffing[t.number], range(n[t.number])) for t in live},
            workers,
            scheduler,
        )
        more = []
        for t in live:
            k = key(staffing[t.number])
            if k in evals.errors:
                continue
            j = problem.judged(evals.searched(k, n[t.number]))
            # near a target (means met, bounds not), or about to become the best: judged on more replications,
            # so that the incumbent is never a staffing that met its targets on a few lucky ones
            close = j.undecided or problem.acceptable(j)
            if close and n[t.number] < problem.max_replications and problem.better(problem.score(j), best):
                n[t.number] = min(2 * n[t.number], problem.max_replications)
                more.append(t)
        live = more
    for t in batch:
        k = key(staffing[t.number])
        t.set_user_attr("key", k)
        if k in evals.errors:
            t.set_user_attr("error", evals.errors[k])
            study.tell(t, state=TrialState.FAIL)
            continue
        j = problem.judged(evals.searched(k, n[t.number]))
        score = problem.score(j)
        for name, v in problem.violations(j).items():
            t.set_constraint(name, v)
        t.set_user_attr("acceptable", problem.acceptable(j))
        t.set_user_attr("n_reps", j.n)
        if math.isnan(score):
            t.set_user_attr("error", f"{problem.objective} is missing (no appeal reached it)")
            study.tell(t, state=TrialState.FAIL)
        else:
            study.tell(t, score)


def trials_table(problem: Problem, study) -> pd.DataFrame:
    """One row per distinct staffing judged: its values, replications, cost, each target's mean and bound."""
    from optuna.trial import TrialState

    rows, seen = [], set()
    for t in study.get_trials(states=(TrialState.COMPLETE, TrialState.FAIL)):
        k = t.user_attrs.get("key")
        if k is None or k in seen:
            continue
        seen.add(k)
        row = {"model": problem.model, "trial": t.number, "key": k, **problem.values(t.params)}
        row |= {"n_reps": t.user_attrs.get("n_reps", 0), "error": t.user_attrs.get("error", "")}
        rows.append(row)
    return pd.DataFrame(rows)


def describe(problem: Problem, table: pd.DataFrame, evals: Evaluations) -> pd.DataFrame:
    """``table`` with each staffing's capacity, objective, each target's mean and bound, and its verdict."""
    extra = []
    exact = all(v.base in v.levels for v in problem.variables)  # else the scenario's staffing was not judged
    base = key(problem.values(problem.own())) if exact else None
    for row in table.itertuples():
        reps = evals.searched(row.key, row.n_reps)
        j = problem.judged(reps)
        e: dict[str, object] = {"headcount": j.cost("headcount"), "staffed_hours": j.cost("staffed_hours")}
        if problem.wages is not None:
            e["wage_cost"] = j.cost("wage_cost")
        if problem.objective not in e:
            e[problem.objective] = j.cost(problem.objective)
        for t in problem.targets:
            e[f"{t.metric}_mean"], e[f"{t.metric}_bound"] = j.means.get(t.metric), j.bounds.get(t.metric)
        e["meets_targets"] = bool(row.error == "" and problem.acceptable(j))
        e["scenario_staffing"] = row.key == base
        extra.append(e)
    return pd.concat([table.reset_index(drop=True), pd.DataFrame(extra)], axis=1)


def _confirm(problem: Problem, outcome: Outcome, evals: Evaluations, workers: int, scheduler) -> None:
    """Confirm the best staffings in turn on fresh replications; the first that holds is the answer."""
    if outcome.table.empty:
        return
    outcome.table = describe(problem, outcome.table, evals)
    ok = outcome.table[outcome.table["meets_targets"]]
    ok = ok.sort_values(problem.objective, ascending=not problem.maximise, kind="stable")
    fresh = range(CONFIRM_FROM, CONFIRM_FROM + problem.confirm_replications)
    failed: set[tuple] = set()
    need = 0.0  # the margin on the search's replications a staffing needs to be worth trying
    for row in ok.to_dict("records"):
        if len(outcome.confirmations) == CONFIRM_TRIES:
            return
        searched = evals.searched(row["key"], int(row["n_reps"]))
        seen, margin = _outcomes(problem, searched), _margin(problem, problem.judged(searched))
        if seen in failed or margin < need:
            continue  # the same simulation as one that failed (its extra staff stood idle), or as close to the edge
        values = {v.path: row[v.path] for v in problem.variables}
        evals.fill(problem, {row["key"]: (values, fresh)}, workers, scheduler)
        reps = evals.of(row["key"], confirm=True).loc[list(fresh)]  # these, not every fresh one cached
        j = problem.judged(reps)
        outcome.confirmations.append((row["key"], j))
        if problem.acceptable(j):
            outcome.chosen, outcome.confirmed = values, j
            return
        failed.add(seen)
        # it fell from its margin on the search's replications to below zero on fresh ones (the search's shared
        # replications flattered it): the next must clear the targets there by at least that fall
        need = max(need, margin - _margin(problem, j))


def _margin(problem: Problem, j: Judgement) -> float:
    """How far a verdict clears its targets and budget at the tightest, relative to each level (< 0: it fails)."""
    return -max(problem.violations(j).values(), default=0.0)


def _outcomes(problem: Problem, reps: pd.DataFrame) -> tuple:
    """What a staffing did on its replications, by target metric: equal for two staffings only when they ran the
    same simulation (common random numbers), e.g. when the staff one has more of stood idle."""
    return tuple(tuple(reps[t.metric].round(12)) if t.metric in reps else () for t in problem.targets)
