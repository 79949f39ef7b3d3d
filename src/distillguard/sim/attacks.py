"""Attack behaviours: accounts harvesting a model's outputs to train a copy.

Every attack has benign look-alikes that defeat any single signal, so only a combination of behaviour,
content and coordination separates them:

=====================  ==========================================  ===========================================
attack                 benign look-alike                            the single signal it defeats
=====================  ==========================================  ===========================================
bulk_harvester         synthetic_data_customer, router_reseller    volume, machine pacing, templated prompts
reasoning_harvester    eval_runner, synthetic_data_customer        step-by-step / reasoning requests
grader_harvester       eval_runner (LLM-as-judge runs)             rubric-and-score prompts
agentic_harvester      coding_agent_app                            tool definitions, coding focus, long contexts
hydra_cluster          chat_user, router_reseller                  per-account volume (a few hundred each),
                                                                   shared IPs (routers and NAT share too)
low_and_slow           rag_app, synthetic_data_customer            rate just under limits, steady for days
model_release_pivot    fast_adopter, eval_runner                   moving to a new model within 24 h
human_replayer         chat_user, router_reseller                  prompt content (real human prompts)
=====================  ==========================================  ===========================================

What still gives attackers away, and what the simulator therefore models faithfully: coverage of a
prompt corpus without repeats or follow-ups, round-the-clock machine pacing, output-maximising
parameters, coordination across accounts (shared payment fingerprints, proxy pools, round-robin timing,
accounts created together), and reasoning coercion in many languages.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from distillguard.sim import phrasebook as pb
from distillguard.sim.behavior import Behavior, Stream, chance, reasoning_tokens, system, user
from distillguard.sim.benign import _agent_records, _sessions
from distillguard.sim.world import DAY_MS, HOUR_MS, Account, World, lognormal_between

HARVEST_STYLES = ("cot", "distill", "grader", "agentic", "rewrite")


class _Walker:
    """Walks a prompt pool in a shuffled order without repeats (harvesters cover corpora, people repeat)."""

    def __init__(self, rng: random.Random, pool: list[str]) -> None:
        self.rng = rng
        self.pool = pool
        self.order: list[int] = []

    def next(self) -> str:
        if not self.order:
            self.order = list(range(len(self.pool)))
            self.rng.shuffle(self.order)
        return self.pool[self.order.pop()]


class _Harvest:
    """Builds harvesting requests of a given style (one place, shared by every attack behaviour)."""

    def __init__(self, world: World, rng: random.Random, langs: list[str], pool: str | None = None) -> None:
        """``pool`` None: distillation sets, benchmark items and some human prompts; "human": human prompts only
        (in the account's languages where the corpora have them, else English)."""
        if pool not in (None, "human"):
            raise ValueError(f"unknown harvest pool {pool!r}; use None or 'human'")
        self.world = world
        self.rng = rng
        self.langs = langs
        self.human_only = pool == "human"
        corpora = world.corpora
        self.distill = _Walker(rng, corpora.all_distillation())
        self.bench = _Walker(rng, corpora.benchmark_pool())
        self.human = _Walker(rng, corpora.all_human())
        if self.human_only:
            self.human_en = _Walker(rng, corpora.human_pool("en"))
            self.by_lang = {lang: _Walker(rng, corpora.human[lang]) for lang in langs if corpora.human.get(lang)}
        else:
            self.by_lang = {
                lang: _Walker(rng, corpora.distillation.get(lang) or corpora.human.get(lang) or [])
                for lang in langs
                if corpora.distillation.get(lang) or corpora.human.get(lang)
            }
        self.harvest_system = rng.choice(pb.SYSTEM_PROMPTS["harvest"]) if chance(rng, 0.6) else None

    def seed_prompt(self) -> tuple[str, str]:
        """A prompt to harvest an answer for, and its language."""
        r = self.rng.random()
        lang = self.rng.choice(self.langs)
        if lang != "en" and lang in self.by_lang and r < 0.7:
            return self.by_lang[lang].next(), lang
        if self.human_only:
            return self.human_en.next(), "en"
        if r < 0.6:
            return self.distill.next(), "en"
        if r < 0.85:
            return self.bench.next(), "en"
        return self.human.next(), "en"

    def request(self, style: str) -> tuple[list[dict[str, Any]], dict[str, Any], float, tuple[int, int], str]:
        """(messages, extra params, reasoning boost, response chars range, language)."""
        rng = self.rng
        prompt, lang = self.seed_prompt()
        boost, chars = 1.0, (600, 4000)
        if style == "cot":
            wrapper_lang = lang if lang in pb.COT_WRAPPERS and chance(rng, 0.6) else rng.choice(self.langs)
            wrappers = pb.COT_WRAPPERS.get(wrapper_lang) or pb.COT_WRAPPERS["en"]
            text = rng.choice(wrappers).format(prompt=prompt)
            boost, chars = 2.5, (2500, 9000)
        elif style == "grader":
            templates = pb.RUBRIC_TEMPLATES_ZH if lang == "zh" and chance(rng, 0.7) else pb.RUBRIC_TEMPLATES
            text = rng.choice(templates).format(
                question=prompt, answer=self.world.response_text(rng, lang, rng.randint(200, 1500)),
                reference=self.world.response_text(rng, lang, 300),
                answer_b=self.world.response_text(rng, lang, rng.randint(200, 1500)))
            boost, chars = 1.5, (150, 1500)
        elif style == "rewrite":
            templates = pb.REWRITE_TEMPLATES_ZH if lang == "zh" else pb.REWRITE_TEMPLATES
            text = rng.choice(templates).format(prompt=prompt)
            chars = (200, 1200)
        else:  # distill: the prompt as it is, answers harvested whole
            text = prompt
        messages = [system(self.harvest_system), user(text)] if self.harvest_system else [user(text)]
        return messages, {}, boost, chars, lang


def _harvest_params(rng: random.Random) -> dict[str, Any]:
    """An operator's fixed settings: long outputs, high effort, often several samples or logprobs."""
    params: dict[str, Any] = {"max_tokens": rng.choice((4096, 8192, 16384))}
    if chance(rng, 0.7):
        params["temperature"] = rng.choice((0.6, 0.7, 0.8, 1.0))
    if chance(rng, 0.6):
        params["reasoning_effort"] = "high"
    if chance(rng, 0.3):
        params["n"] = rng.choice((2, 4, 8))
    if chance(rng, 0.15):
        params["logprobs"] = True
        params["top_logprobs"] = rng.choice((5, 20))
    return params


def _attack_langs(world: World, rng: random.Random, many: bool) -> list[str]:
    available = sorted(set(pb.COT_WRAPPERS) | set(world.corpora.human_langs()))
    if many:
        return ["en", *rng.sample([x for x in available if x != "en"], k=min(len(available) - 1, rng.randint(3, 8)))]
    return ["en"] if chance(rng, 0.6) else ["en", rng.choice([x for x in available if x != "en"])]


def _single_account(world: World, rng: random.Random, behavior: Behavior, campaign: str | None,
                    *, created_days: tuple[float, float] = (1, 45), ua_family: str = "script") -> Account:
    created = world.start_ms - int(rng.uniform(*created_days) * DAY_MS)
    country = world.pick_country(rng)
    ips = [world.cloud(rng) for _ in range(rng.randint(1, 4))] if chance(rng, 0.7) else [
        world.residential(rng, country)]
    return world.new_account(rng, behavior=behavior.name, label=behavior.label, campaign=campaign,
                             country=country, created_ms=created, ips=ips, ua_family=ua_family,
                             channel=rng.choice(("web", "free-trial", "startup-program", "web")))


def _emit(world: World, rng: random.Random, acct: Account, t: int, harvest: _Harvest, style: str,
          params: dict[str, Any], model: str, *, ip: tuple[str, int] | None = None,
          country: str | None = None) -> dict[str, Any]:
    messages, extra, boost, chars, lang = harvest.request(style)
    status = 429 if chance(rng, 0.01) else 200
    return world.record(rng, acct, t, messages=messages, params={**params, **extra}, model=model, ip=ip,
                        country=country, lang=lang, status=status,
                        response_chars=int(rng.uniform(*chars)),
                        reasoning_tokens=reasoning_tokens(rng, params.get("reasoning_effort", "medium"), boost))


class BulkHarvester(Behavior):
    """One account sending a distillation prompt set straight through: each prompt once, round the
    clock, long outputs, fixed settings.

    Look-alike: synthetic_data_customer, router_reseller.
    """

    name = "bulk_harvester"
    label = "attack"

    def __init__(self, requests_per_day: tuple[float, float] = (1200, 6000), styles: tuple[str, ...] = ("distill",),
                 jitter: float = 0.6) -> None:
        self.requests_per_day = requests_per_day
        self.styles = styles
        self.jitter = jitter

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = _single_account(world, rng, self, campaign)
        times = world.steady_times(rng, lognormal_between(rng, *self.requests_per_day), self.jitter)
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        harvest = _Harvest(world, rng, _attack_langs(world, rng, many=False))
        params = _harvest_params(rng)
        for t in times:
            model = "frontier-2" if world.available("frontier-2", t) and chance(rng, 0.3) else "frontier-1"
            yield _emit(world, rng, acct, t, harvest, rng.choice(self.styles), params, model)


class ReasoningHarvester(BulkHarvester):
    """Reasoning-trace coercion: wrappers that make the model write out its full reasoning, in many
    languages, at high effort and long outputs.

    Look-alike: eval_runner (step-by-step prompting), synthetic_data_customer (worked solutions).
    """

    name = "reasoning_harvester"

    def __init__(self, requests_per_day: tuple[float, float] = (300, 3000), styles: tuple[str, ...] = ("cot",),
                 jitter: float = 0.8, langs: tuple[str, ...] | None = None) -> None:
        super().__init__(requests_per_day, styles, jitter)
        self.langs = langs  # None: English and 3-8 other languages drawn per account

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        langs = list(self.langs) if self.langs else _attack_langs(world, rng, many=True)
        harvest = _Harvest(world, rng, langs)
        params = {**_harvest_params(rng), "reasoning_effort": "high"}
        for t in times:
            model = "frontier-2" if world.available("frontier-2", t) and chance(rng, 0.4) else "frontier-1"
            yield _emit(world, rng, acct, t, harvest, "cot", params, model)


class GraderHarvester(BulkHarvester):
    """The model used as a reward model: candidate answers with a rubric, asked for a score (and often
    the critique behind it).

    Look-alike: eval_runner (LLM-as-judge runs).
    """

    name = "grader_harvester"

    def __init__(self, requests_per_day: tuple[float, float] = (400, 3000), styles: tuple[str, ...] = ("grader",),
                 jitter: float = 0.6) -> None:
        super().__init__(requests_per_day, styles, jitter)


class AgenticHarvester(Behavior):
    """Agentic-coding and tool-use trajectories harvested round the clock: tool definitions, multi-step
    loops, no end users behind the account, coding only.

    Look-alike: coding_agent_app.
    """

    name = "agentic_harvester"
    label = "attack"

    def __init__(self, tasks_per_day: tuple[float, float] = (80, 600), steps: tuple[int, int] = (2, 8)) -> None:
        self.tasks_per_day = tasks_per_day
        self.steps = steps

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = _single_account(world, rng, self, campaign)
        flat = (1.0,) * 24
        plan = _sessions(world, rng, lognormal_between(rng, *self.tasks_per_day), 0.0, sum(self.steps) / 2, (2, 20),
                         flat)
        return Stream([acct], [t for t, _, _ in plan], _agent_records(world, rng, acct, plan, end_users=False,
                                                                      effort="high"))


class HydraCluster(Behavior):
    """Hundreds of fraudulent accounts run as one: created together, partly sharing payment
    fingerprints, egressing through a residential proxy pool, load-balanced round-robin, a few hundred
    requests each, with ``blend`` of the traffic drawn from human-prompt corpora to look ordinary.

    Look-alike: chat_user (per-account volume and content), router_reseller (shared infrastructure).
    """

    name = "hydra_cluster"
    label = "attack"
    group = True

    def __init__(self, requests_per_account: tuple[float, float] = (150, 600), blend: tuple[float, float] = (0.3, 0.7),
                 shared_payment_share: float = 0.35, proxy_ips_per_account: float = 2.0,
                 styles: dict[str, float] | None = None, pivot_share: float = 0.0,
                 pivot_hours: tuple[float, float] = (2, 20), harvest_pool: str | None = None) -> None:
        self.requests_per_account = requests_per_account
        self.blend = blend
        self.shared_payment_share = shared_payment_share
        self.proxy_ips_per_account = proxy_ips_per_account
        self.styles = styles or {"cot": 0.45, "distill": 0.25, "grader": 0.15, "rewrite": 0.05, "agentic": 0.10}
        self.pivot_share = pivot_share
        self.pivot_hours = pivot_hours
        # None: harvest distillation sets, benchmark items and some human prompts; "human": human prompts only.
        self.harvest_pool = harvest_pool

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        n = max(2, accounts)
        created0 = world.start_ms - int(rng.uniform(2, 30) * DAY_MS)
        cards = [world.new_id("pf", 6) for _ in range(max(1, n // 25))]
        members = []
        ua_family = rng.choice(("sdk", "script"))
        for _ in range(n):
            shared = chance(rng, self.shared_payment_share)
            members.append(world.new_account(
                rng, behavior=self.name, label=self.label, campaign=campaign,
                created_ms=created0 + rng.randrange(int(rng.uniform(0.2, 4) * DAY_MS)),
                payment_fingerprint=rng.choice(cards) if shared else None,
                channel=rng.choice(("free-trial", "startup-program", "web", "education")),
                ua_family=ua_family, ips=[]))
        for m in members[1:]:  # one tool, one client library version
            m.user_agents = members[0].user_agents
        pool = world.proxy_pool(rng, max(8, int(n * self.proxy_ips_per_account)))
        total = sum(lognormal_between(rng, *self.requests_per_account) for _ in range(n))
        times = world.steady_times(rng, total * DAY_MS / (world.end_ms - world.start_ms), 0.4)
        order = list(range(n))
        rng.shuffle(order)
        return Stream(members, times, self._records(world, rng, members, order, pool, times))

    def _records(self, world: World, rng: random.Random, members: list[Account], order: list[int],
                 pool: list[tuple[str, int, str]], times: list[int]) -> Iterator[dict]:
        harvest = _Harvest(world, rng, _attack_langs(world, rng, many=True), pool=self.harvest_pool)
        params = _harvest_params(rng)
        blend = rng.uniform(*self.blend)
        styles, weights = list(self.styles), list(self.styles.values())
        pivot_at = world.release_ms + int(rng.uniform(*self.pivot_hours) * HOUR_MS)
        humans = world.corpora
        for i, t in enumerate(times):
            acct = members[order[i % len(order)]]  # round-robin load balancing
            ip, asn, country = rng.choice(pool)
            pivoted = bool(self.pivot_share) and t >= pivot_at and chance(rng, self.pivot_share)
            trying = world.available("frontier-2", t) and chance(rng, 0.1)
            model = "frontier-2" if pivoted or trying else "frontier-1"
            if chance(rng, blend):  # camouflage: an ordinary human prompt, ordinary settings
                lang = rng.choice(humans.human_langs())
                text = rng.choice(humans.human_pool(lang))
                yield world.record(rng, acct, t, messages=[user(text)], params={"temperature": 0.7}, model=model,
                                   ip=(ip, asn), country=country, lang=lang,
                                   response_chars=int(lognormal_between(rng, 250, 3000)),
                                   reasoning_tokens=reasoning_tokens(rng, None))
                continue
            style = rng.choices(styles, weights=weights)[0]
            if style == "agentic":
                task = rng.choice(pb.CODING_TASKS)
                messages = [system(rng.choice(pb.SYSTEM_PROMPTS["coding_agent"])), user(task)]
                yield world.record(rng, acct, t, messages=messages,
                                   params={**params, "tools": rng.sample(pb.TOOL_DEFINITIONS, k=4)}, model=model,
                                   ip=(ip, asn), country=country, finish_reason="tool_calls",
                                   response_chars=int(lognormal_between(rng, 300, 2500)),
                                   reasoning_tokens=reasoning_tokens(rng, "high"))
                continue
            yield _emit(world, rng, acct, t, harvest, style, params, model, ip=(ip, asn), country=country)


class ModelReleasePivot(HydraCluster):
    """A harvesting cluster that moves most of its traffic to a newly released model within a day.

    Look-alike: fast_adopter, eval_runner (new-model evaluation runs on release day).
    """

    name = "model_release_pivot"

    def __init__(self, requests_per_account: tuple[float, float] = (200, 800), blend: tuple[float, float] = (0.1, 0.4),
                 shared_payment_share: float = 0.5, proxy_ips_per_account: float = 1.0,
                 styles: dict[str, float] | None = None, pivot_share: float = 0.7,
                 pivot_hours: tuple[float, float] = (1, 20)) -> None:
        super().__init__(requests_per_account, blend, shared_payment_share, proxy_ips_per_account, styles,
                         pivot_share, pivot_hours)


class LowAndSlow(Behavior):
    """Harvesting at just under the account's daily limit, evenly round the clock, every day, from an
    old, legitimate-looking account.

    Look-alike: rag_app and synthetic_data_customer (steady, high utilisation).
    """

    name = "low_and_slow"
    label = "attack"

    def __init__(self, daily_limit: int = 1000, utilisation: tuple[float, float] = (0.9, 0.98),
                 styles: tuple[str, ...] = ("cot", "distill", "cot")) -> None:
        self.daily_limit = daily_limit
        self.utilisation = utilisation
        self.styles = styles

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = _single_account(world, rng, self, campaign, created_days=(60, 400), ua_family="sdk")
        times: list[int] = []
        day = world.start_ms
        while day < world.end_ms:  # the quota resets daily; stay under it every day
            per_day = self.daily_limit * rng.uniform(*self.utilisation)
            times += world.steady_times(rng, per_day, 0.25, day, min(day + DAY_MS, world.end_ms))
            day += DAY_MS
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        harvest = _Harvest(world, rng, _attack_langs(world, rng, many=False))
        params = _harvest_params(rng)
        for t in times:
            yield _emit(world, rng, acct, t, harvest, rng.choice(self.styles), params, "frontier-1")


class HumanReplayer(Behavior):
    """Harvesting with real human prompts: every prompt once, single-turn, fixed settings, round the
    clock. The content alone looks benign.

    Look-alike: chat_user (the same prompts), router_reseller (volume of human prompts).
    """

    name = "human_replayer"
    label = "attack"

    def __init__(self, requests_per_day: tuple[float, float] = (600, 4000)) -> None:
        self.requests_per_day = requests_per_day

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = _single_account(world, rng, self, campaign)
        times = world.steady_times(rng, lognormal_between(rng, *self.requests_per_day), 0.7)
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        walker = _Walker(rng, world.corpora.all_human())
        params = {"temperature": 1.0, "max_tokens": rng.choice((2048, 4096))}
        for t in times:
            text = walker.next()
            yield world.record(rng, acct, t, messages=[user(text)], params=params, model="frontier-1",
                               response_chars=int(lognormal_between(rng, 400, 4000)),
                               reasoning_tokens=reasoning_tokens(rng, "medium"),
                               status=429 if chance(rng, 0.01) else 200)


ATTACKS: tuple[type[Behavior], ...] = (BulkHarvester, ReasoningHarvester, GraderHarvester, AgenticHarvester,
                                       HydraCluster, LowAndSlow, ModelReleasePivot, HumanReplayer)

__all__ = ["ATTACKS", "HARVEST_STYLES", *[cls.__name__ for cls in ATTACKS]]
