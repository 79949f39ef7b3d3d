"""Benign behaviours: the honest traffic a detector must leave alone.

Each is a look-alike of at least one attack (see ``distillguard.sim.attacks`` for the pairs): eval
runners ask for step-by-step reasoning and grade with rubrics in bursts; synthetic-data customers
harvest at volume, legitimately; routers put thousands of people behind a few keys and addresses; RAG
and coding apps send one template at a steady rate; fast adopters move to a new model within hours.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from distillguard.sim import phrasebook as pb
from distillguard.sim.behavior import (
    Behavior,
    Stream,
    assistant,
    chance,
    pick_model,
    reasoning_tokens,
    sdk_params,
    system,
    user,
)
from distillguard.sim.world import (
    BUSINESS_HOURS,
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    SECOND_MS,
    Account,
    World,
    lognormal_between,
)

CHAT_MODELS = {"frontier-1": 0.55, "frontier-1-mini": 0.45, "frontier-2": 0.2}


def _lang_for(world: World, rng: random.Random, account: Account, english_share: float = 0.3) -> str:
    """The language a person writes in: their country's if the corpora have it, else English."""
    lang = account.country.lang
    if lang != "en" and lang in world.corpora.human and not chance(rng, english_share):
        return lang
    return "en"


def _follow_up(rng: random.Random, lang: str) -> str:
    options = pb.FOLLOW_UPS.get(lang) or pb.FOLLOW_UPS["en"]
    return rng.choice(options)


def _sessions(
    world: World, rng: random.Random, sessions_per_day: float, utc_offset: float, turns_mean: float,
    gap_s: tuple[float, float], profile: tuple[float, ...] | None = None, multi_share: float = 1.0,
) -> list[tuple[int, int, int]]:
    """(time, session number, turn number) for bursts of related requests starting at diurnal times."""
    starts = world.diurnal_times(rng, sessions_per_day, utc_offset, profile) if profile else world.diurnal_times(
        rng, sessions_per_day, utc_offset
    )
    out: list[tuple[int, int, int]] = []
    for s, t0 in enumerate(starts):
        turns = 1
        if chance(rng, multi_share):
            while chance(rng, 1 - 1 / max(turns_mean, 1.0001)) and turns < 16:
                turns += 1
        t = t0
        for k in range(turns):
            if t >= world.end_ms:
                break
            out.append((t, s, k))
            t += int(rng.uniform(*gap_s) * SECOND_MS)
    out.sort()
    return out


class _Conversation:
    """A person's chat: each turn resends the history, as chat APIs require."""

    def __init__(self, sys_prompt: str | None) -> None:
        self.messages: list[dict[str, Any]] = [system(sys_prompt)] if sys_prompt else []
        self.pending: list[str] = []

    def ask(self, text: str) -> list[dict[str, Any]]:
        self.messages.append(user(text))
        return list(self.messages)

    def answer(self, text: str) -> None:
        # Keep histories realistic but bounded: people rarely carry more than ~12 turns.
        self.messages.append(assistant(text))
        if len(self.messages) > 25:
            head = 1 if self.messages[0]["role"] == "system" else 0
            del self.messages[head : head + 2]


class ChatUser(Behavior):
    """A person chatting through an app or SDK: human prompts, multi-turn follow-ups, diurnal sessions.

    Look-alike of: the human-prompt replayer (same prompts) and hydra members (same volume per account).
    """

    name = "chat_user"
    label = "benign"

    def __init__(self, requests_per_day: tuple[float, float] = (2, 40), multi_turn_share: float = 0.45,
                 burst_day_share: float = 0.1, system_prompt_share: float = 0.35) -> None:
        self.requests_per_day = requests_per_day
        self.multi_turn_share = multi_turn_share
        self.burst_day_share = burst_day_share
        self.system_prompt_share = system_prompt_share

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label,
                                 ua_family=rng.choice(("browser", "sdk", "app")))
        per_day = lognormal_between(rng, *self.requests_per_day)
        turns_mean = 3.0
        sessions_per_day = per_day / (1 + self.multi_turn_share * (turns_mean - 1))
        plan = _sessions(world, rng, sessions_per_day, acct.country.utc_offset, turns_mean, (25, 420),
                         multi_share=self.multi_turn_share)
        if chance(rng, self.burst_day_share) and world.days >= 1:  # a burst: a deadline, a new project
            day0 = world.start_ms + rng.randrange(int(world.days)) * DAY_MS
            extra = _sessions(world, rng, sessions_per_day * 4, acct.country.utc_offset, turns_mean, (10, 200),
                              multi_share=self.multi_turn_share)
            plan = sorted(plan + [(t, s + 100_000, k) for t, s, k in extra if day0 <= t < day0 + DAY_MS])
        return Stream([acct], [t for t, _, _ in plan], self._records(world, rng, acct, plan))

    def _records(self, world: World, rng: random.Random, acct: Account,
                 plan: list[tuple[int, int, int]]) -> Iterator[dict[str, Any]]:
        base = sdk_params(rng)
        sys_prompt = rng.choice(pb.SYSTEM_PROMPTS["assistant"]) if chance(rng, self.system_prompt_share) else None
        conversations: dict[int, _Conversation] = {}
        scripted: dict[int, list[str]] = {}
        for t, s, k in plan:
            lang = _lang_for(world, rng, acct)
            conv = conversations.get(s)
            if conv is None or k == 0:
                conv = conversations[s] = _Conversation(sys_prompt)
                if lang == "en" and world.corpora.conversations and chance(rng, 0.3):
                    script = rng.choice(world.corpora.conversations)
                    scripted[s] = list(script[1:])
                    text = script[0]
                else:
                    text = rng.choice(world.corpora.human_pool(lang))
            else:
                later = scripted.get(s)
                text = later.pop(0) if later else _follow_up(rng, lang)
            messages = conv.ask(text)
            model = pick_model(world, rng, t, CHAT_MODELS)
            chars = int(lognormal_between(rng, 250, 3500))
            rec = world.record(rng, acct, t, messages=messages, params=base, model=model, response_chars=chars,
                               reasoning_tokens=reasoning_tokens(rng, base.get("reasoning_effort")), lang=lang)
            conv.answer(rec["response"]["text"] if rec.get("response") else "")
            if k == 0 and len(conversations) > 64:  # finished sessions are never resumed
                for old in [x for x in conversations if x != s][:32]:
                    conversations.pop(old, None)
                    scripted.pop(old, None)
            yield rec


class Developer(Behavior):
    """A developer trying the API: test prompts, identity probes, parameter sweeps (temperature, n,
    logprobs, seed), the same prompt resent with other settings, a few sessions then silence.

    Look-alike of: harvesters that sweep sampling parameters and ask the model about itself.
    """

    name = "developer"
    label = "benign"

    def __init__(self, requests: tuple[float, float] = (5, 80), sessions: tuple[int, int] = (1, 3)) -> None:
        self.requests = requests
        self.sessions = sessions

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        new = chance(rng, 0.6)
        created = world.start_ms + rng.randrange(int(world.days * DAY_MS)) - 2 * HOUR_MS if new else None
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="script",
                                 created_ms=created, channel=rng.choice(("web", "free-trial", "web", "education")))
        total = max(3, int(lognormal_between(rng, *self.requests)))
        n_sessions = rng.randint(*self.sessions)
        first = max(world.start_ms, acct.created_ms + 10 * MINUTE_MS)
        times: list[int] = []
        for _ in range(n_sessions):
            t = rng.randrange(first, max(first + 1, world.end_ms - HOUR_MS))
            local_hour = ((t // HOUR_MS) + int(acct.country.utc_offset)) % 24
            if local_hour < 8:  # most tinkering happens awake
                t += (9 - local_hour) * HOUR_MS
            for _ in range(max(1, total // n_sessions)):
                if t < world.end_ms:
                    times.append(t)
                t += int(lognormal_between(rng, 4, 240) * SECOND_MS)
        times.sort()
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        sweep = (0.0, 0.3, 0.7, 1.0, 1.3, 1.7)
        prompt = rng.choice(pb.DEV_TEST_PROMPTS)
        for i, t in enumerate(times):
            params: dict[str, Any] = {}
            roll = rng.random()
            if roll < 0.35:  # a sweep over one prompt
                params["temperature"] = sweep[i % len(sweep)]
            elif roll < 0.5:
                params["n"] = rng.choice((2, 3, 5))
            elif roll < 0.6:
                params["logprobs"] = True
                params["top_logprobs"] = rng.choice((1, 5, 10))
            elif roll < 0.7:
                params["seed"] = rng.choice((1, 42, 1234))
            if chance(rng, 0.1):
                params["tools"] = rng.sample(pb.TOOL_DEFINITIONS, k=rng.randint(1, 3))
            if not chance(rng, 0.4):  # otherwise: resend the same prompt with other settings
                r = rng.random()
                if r < 0.45:
                    prompt = rng.choice(pb.DEV_TEST_PROMPTS)
                elif r < 0.6:
                    prompt = rng.choice(pb.IDENTITY_PROBES)
                else:
                    prompt = rng.choice(world.corpora.human_pool("en"))
            status = 400 if chance(rng, 0.04) else 200
            yield world.record(rng, acct, t, messages=[user(prompt)], params=params,
                               model=pick_model(world, rng, t, CHAT_MODELS), status=status,
                               response_chars=int(lognormal_between(rng, 20, 1200)),
                               reasoning_tokens=reasoning_tokens(rng, "low"))


class FastAdopter(Behavior):
    """An enthusiast or startup that moves to a newly released model within hours, tries it hard
    (reasoning puzzles, benchmark questions, identity probes), then keeps using it.

    Look-alike of: the model-release pivot cluster.
    """

    name = "fast_adopter"
    label = "benign"

    def __init__(self, requests_per_day: tuple[float, float] = (10, 120), switch_hours: tuple[float, float] = (0.5, 18),
                 trial_burst: tuple[int, int] = (20, 150)) -> None:
        self.requests_per_day = requests_per_day
        self.switch_hours = switch_hours
        self.trial_burst = trial_burst

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family=rng.choice(("sdk", "app")))
        per_day = lognormal_between(rng, *self.requests_per_day)
        times = world.diurnal_times(rng, per_day, acct.country.utc_offset)
        switch = world.release_ms + int(rng.uniform(*self.switch_hours) * HOUR_MS)
        burst_t = switch
        trial: list[int] = []
        for _ in range(rng.randint(*self.trial_burst)):
            burst_t += int(lognormal_between(rng, 3, 90) * SECOND_MS)
            if burst_t < world.end_ms:
                trial.append(burst_t)
        trial_set = set(trial)
        times = sorted(times + trial)
        return Stream([acct], times, self._records(world, rng, acct, times, switch, trial_set))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int], switch: int,
                 trial: set[int]) -> Iterator[dict]:
        base = sdk_params(rng)
        for t in times:
            after = t >= switch
            model = "frontier-2" if after and chance(rng, 0.85) else rng.choice(("frontier-1", "frontier-1-mini"))
            boost = 1.0
            if t in trial:
                r = rng.random()
                if r < 0.4:
                    text = rng.choice(pb.STEP_BY_STEP_BENIGN["en"]).format(
                        prompt=rng.choice(world.corpora.benchmark_pool()))
                    boost = 2.0
                elif r < 0.55:
                    text = rng.choice(pb.IDENTITY_PROBES)
                elif r < 0.75:
                    text = rng.choice(world.corpora.code_pool())
                else:
                    text = rng.choice(world.corpora.human_pool("en"))
            else:
                text = rng.choice(world.corpora.human_pool(_lang_for(world, rng, acct)))
            yield world.record(rng, acct, t, messages=[user(text)], params=base, model=model,
                               response_chars=int(lognormal_between(rng, 300, 4000)),
                               reasoning_tokens=reasoning_tokens(rng, base.get("reasoning_effort", "medium"), boost))


def _end_users(world: World, rng: random.Random, count: int) -> list[str]:
    return [f"u_{rng.getrandbits(48):012x}" for _ in range(count)]


class RagApp(Behavior):
    """An enterprise support / RAG application: one or two templates carrying kilobytes of retrieved
    context, thousands of end users behind one account, a steady business-hours rate, low temperature.

    Look-alike of: template-driven harvesters (few templates, high volume, machine client).
    """

    name = "rag_app"
    label = "benign"

    def __init__(self, requests_per_day: tuple[float, float] = (150, 2000), end_users: tuple[int, int] = (50, 3000),
                 docs_per_request: tuple[int, int] = (2, 5), multi_turn_share: float = 0.15) -> None:
        self.requests_per_day = requests_per_day
        self.end_users = end_users
        self.docs_per_request = docs_per_request
        self.multi_turn_share = multi_turn_share

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        ip, asn = world.cloud(rng)
        servers = [(ip, asn)] + [(world.ip_in(asn, rng), asn) for _ in range(rng.randint(0, 2))]
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="app", ips=servers,
                                 channel=rng.choice(("enterprise-sales", "enterprise-sales", "marketplace", "web")),
                                 n_keys=rng.randint(1, 3), endpoint="/v1/chat/completions")
        times = world.diurnal_times(rng, lognormal_between(rng, *self.requests_per_day), acct.country.utc_offset,
                                    BUSINESS_HOURS)
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        templates = rng.sample(pb.RAG_TEMPLATES, k=min(2, len(pb.RAG_TEMPLATES)))
        sys_prompt = rng.choice(pb.SYSTEM_PROMPTS["rag"])
        users = _end_users(world, rng, rng.randint(*self.end_users))
        docs = rng.sample(pb.RAG_DOCUMENTS, k=min(len(pb.RAG_DOCUMENTS), rng.randint(15, 40)))
        temperature = rng.choice((0, 0.1, 0.2, 0.3))
        max_tokens = rng.choice((512, 768, 1024))
        model = rng.choice(("frontier-1", "frontier-1-mini"))
        for t in times:
            question = rng.choice(pb.RAG_QUESTIONS) if chance(rng, 0.75) else rng.choice(
                world.corpora.human_pool("en"))
            context = "\n\n---\n\n".join(rng.sample(docs, k=rng.randint(*self.docs_per_request)))
            messages = [system(sys_prompt)]
            if chance(rng, self.multi_turn_share):
                messages += [user(rng.choice(pb.RAG_QUESTIONS)), assistant(world.response_text(rng, "en", 400))]
            messages.append(user(rng.choice(templates).format(context=context, question=question)))
            params = {"temperature": temperature, "max_tokens": max_tokens, "user": rng.choice(users)}
            yield world.record(rng, acct, t, messages=messages, params=params, model=model,
                               key=rng.choice(acct.keys), response_chars=int(lognormal_between(rng, 200, 1400)),
                               status=500 if chance(rng, 0.002) else 200)


class CodingAgentApp(Behavior):
    """An IDE coding assistant: agent loops with tool definitions and tool results, many developers
    behind one account, working hours, long contexts.

    Look-alike of: the agentic-coding harvester.
    """

    name = "coding_agent_app"
    label = "benign"

    def __init__(self, tasks_per_day: tuple[float, float] = (20, 300), steps: tuple[int, int] = (2, 12),
                 end_users: tuple[int, int] = (20, 800)) -> None:
        self.tasks_per_day = tasks_per_day
        self.steps = steps
        self.end_users = end_users

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="app",
                                 ips=[world.cloud(rng) for _ in range(rng.randint(1, 3))],
                                 channel=rng.choice(("enterprise-sales", "startup-program", "web")),
                                 endpoint=rng.choice(("/v1/chat/completions", "/v1/responses")))
        mean_steps = sum(self.steps) / 2
        plan = _sessions(world, rng, lognormal_between(rng, *self.tasks_per_day), acct.country.utc_offset,
                         mean_steps, (3, 40), BUSINESS_HOURS)
        return Stream([acct], [t for t, _, _ in plan], _agent_records(world, rng, acct, plan, end_users=True,
                                                                      n_users=rng.randint(*self.end_users)))


def _agent_records(world: World, rng: random.Random, acct: Account, plan: list[tuple[int, int, int]], *,
                   end_users: bool, n_users: int = 1, effort: str = "medium") -> Iterator[dict]:
    """Agent trajectories: task, then tool calls and results fed back, step after step (shared with the
    agentic harvester, which differs in who is behind it and when, not in what a step looks like)."""
    sys_prompt = rng.choice(pb.SYSTEM_PROMPTS["coding_agent"])
    tools = rng.sample(pb.TOOL_DEFINITIONS, k=min(len(pb.TOOL_DEFINITIONS), rng.randint(4, 8)))
    users = _end_users(world, rng, n_users) if end_users else []
    trajectories: dict[int, list[dict[str, Any]]] = {}
    for t, s, k in plan:
        if k == 0 or s not in trajectories:
            task = rng.choice(pb.CODING_TASKS) if chance(rng, 0.7) else rng.choice(world.corpora.code_pool())
            if len(trajectories) > 64:  # finished trajectories are never resumed
                trajectories.clear()
            trajectories[s] = [system(sys_prompt), user(task)]
        messages = trajectories[s]
        params: dict[str, Any] = {"tools": tools, "temperature": 0.2 if end_users else 0.6, "max_tokens": 4096}
        if users:
            params["user"] = rng.choice(users)
        last_step = chance(rng, 0.25)
        rec = world.record(rng, acct, t, messages=list(messages), params=params,
                           model=pick_model(world, rng, t, {"frontier-1": 0.8, "frontier-2": 0.4}),
                           response_chars=int(lognormal_between(rng, 150, 2500)),
                           reasoning_tokens=reasoning_tokens(rng, effort),
                           finish_reason="stop" if last_step else "tool_calls")
        messages.append(assistant(rec["response"]["text"][:600] if rec.get("response") else ""))
        messages.append({"role": "tool", "content": rng.choice(pb.TOOL_RESULTS)})
        yield rec


class EvalRunner(Behavior):
    """An evaluation harness: fixed benchmark sets (GSM8K-style) with step-by-step prompting, temperature
    0 and a seed, pass@k runs with n > 1, LLM-as-judge rubric runs, in large bursts at high concurrency,
    re-running the same items on every model (the new one too, on release day).

    Look-alike of: the reasoning-trace harvester and the grader/rubric harvester.
    """

    name = "eval_runner"
    label = "benign"

    def __init__(self, runs_per_day: tuple[float, float] = (0.3, 2.0), run_size: tuple[int, int] = (150, 2000),
                 requests_per_second: tuple[float, float] = (3, 30), judge_share: float = 0.3,
                 release_hours: tuple[float, float] | None = None) -> None:
        self.runs_per_day = runs_per_day
        self.run_size = run_size
        self.requests_per_second = requests_per_second
        self.judge_share = judge_share
        # Set: the team also runs its split on the new model, starting this many hours after its release.
        self.release_hours = release_hours

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="eval",
                                 ips=[world.cloud(rng) for _ in range(rng.randint(1, 2))],
                                 channel=rng.choice(("enterprise-sales", "startup-program", "education", "web")))
        starts = world.diurnal_times(rng, lognormal_between(rng, *self.runs_per_day), acct.country.utc_offset,
                                     BUSINESS_HOURS)
        if not starts:  # every eval team runs at least once in the window
            starts = [rng.randrange(world.start_ms, world.end_ms)]
        release_run: int | None = None
        if self.release_hours is not None:  # a release-day run on the new model
            t_new = world.release_ms + int(rng.uniform(*self.release_hours) * HOUR_MS)
            if t_new < world.end_ms:
                release_run = len(starts)
                starts = [*starts, t_new]
        plan: list[tuple[int, int, int]] = []
        for run, t0 in enumerate(starts):
            size = int(lognormal_between(rng, *self.run_size))
            rate = rng.uniform(*self.requests_per_second)
            t = float(t0)
            for i in range(size):
                t += rng.expovariate(rate) * SECOND_MS
                if t >= world.end_ms:
                    break
                plan.append((int(t), run, i))
        plan.sort()
        return Stream([acct], [t for t, _, _ in plan], self._records(world, rng, acct, plan, len(starts),
                                                                     release_run))

    def _records(self, world: World, rng: random.Random, acct: Account, plan: list[tuple[int, int, int]],
                 runs: int, release_run: int | None = None) -> Iterator[dict]:
        pool = world.corpora.benchmark_pool()
        items = rng.sample(pool, k=min(len(pool), 2000))  # the team's fixed eval split
        configs = []
        for run in range(runs):
            kind = "judge" if chance(rng, self.judge_share) else ("passk" if chance(rng, 0.25) else "greedy")
            model = pick_model(world, rng, world.end_ms, {"frontier-1": 1, "frontier-1-mini": 0.5, "frontier-2": 1})
            if run == release_run:
                model = "frontier-2"
            configs.append((kind, model, rng.choice(pb.STEP_BY_STEP_BENIGN["en"]), rng.choice(pb.RUBRIC_TEMPLATES)))
        for t, run, i in plan:
            kind, model, wrapper, rubric = configs[run]
            if not world.available(model, t):
                model = "frontier-1"
            item = items[i % len(items)]
            params: dict[str, Any] = {"temperature": 0, "seed": 1234, "max_tokens": 2048}
            boost = 2.0
            if kind == "judge":
                text = rubric.format(question=item, answer=world.response_text(rng, "en", 600),
                                     reference=world.response_text(rng, "en", 200),
                                     answer_b=world.response_text(rng, "en", 600))
                params["max_tokens"] = 512
                chars = int(lognormal_between(rng, 40, 700))
            else:
                text = wrapper.format(prompt=item)
                chars = int(lognormal_between(rng, 400, 2000))
                if kind == "passk":
                    params.update(n=5, temperature=0.8)
                    params.pop("seed")
            status = 429 if chance(rng, 0.01) else 200
            yield world.record(rng, acct, t, messages=[user(text)], params=params, model=model, status=status,
                               response_chars=chars, reasoning_tokens=reasoning_tokens(rng, "medium", boost))


class SyntheticDataCustomer(Behavior):
    """A customer licensed to generate training data under contract: templated generation jobs at high
    volume, n > 1, temperature 1, sometimes worked solutions with reasoning.

    Look-alike of: the bulk harvester and the reasoning-trace harvester (only the contract differs,
    which is why enforcement has allow-lists).
    """

    name = "synthetic_data_customer"
    label = "benign"

    def __init__(self, requests_per_day: tuple[float, float] = (800, 5000), job_hours: tuple[float, float] = (2, 10),
                 worked_solution_share: float = 0.2) -> None:
        self.requests_per_day = requests_per_day
        self.job_hours = job_hours
        self.worked_solution_share = worked_solution_share

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="script",
                                 ips=[world.cloud(rng)], channel="enterprise-sales")
        per_day = lognormal_between(rng, *self.requests_per_day)
        times: list[int] = []
        day = world.start_ms
        while day < world.end_ms:
            hours = rng.uniform(*self.job_hours)
            start = day + rng.randrange(0, int((24 - hours) * HOUR_MS))
            times += world.steady_times(rng, per_day * 24 / hours, 0.5, start, min(start + int(hours * HOUR_MS),
                                                                                     world.end_ms))
            day += DAY_MS
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        sys_prompt = rng.choice(pb.SYSTEM_PROMPTS["data_gen"])
        templates = rng.sample(pb.DATA_GEN_TEMPLATES, k=min(3, len(pb.DATA_GEN_TEMPLATES)))
        n = rng.choice((1, 2, 4))
        for t in times:
            if chance(rng, self.worked_solution_share):
                seed_prompt = rng.choice(world.corpora.all_distillation())
                text = rng.choice(pb.STEP_BY_STEP_BENIGN["en"]).format(prompt=seed_prompt)
                boost = 2.0
            else:
                text = rng.choice(templates).format(topic=rng.choice(pb.DATA_GEN_TOPICS), n=rng.choice((5, 10, 20)))
                boost = 1.0
            yield world.record(rng, acct, t, messages=[system(sys_prompt), user(text)],
                               params={"temperature": 1.0, "n": n, "max_tokens": 2048}, model="frontier-1",
                               response_chars=int(lognormal_between(rng, 800, 4000)),
                               reasoning_tokens=reasoning_tokens(rng, "low", boost))


class RouterReseller(Behavior):
    """A router or reseller: thousands of end users behind a few keys and server addresses, every
    language and use, multi-turn chats, a mix of models, a smooth round-the-clock rate.

    Look-alike of: hydra clusters (many people, shared infrastructure) and replayers (human prompts at
    volume).
    """

    name = "router_reseller"
    label = "benign"

    def __init__(self, requests_per_day: tuple[float, float] = (1000, 6000),
                 end_users: tuple[int, int] = (300, 5000)) -> None:
        self.requests_per_day = requests_per_day
        self.end_users = end_users

    def build(self, world: World, rng: random.Random, accounts: int, campaign: str | None) -> Stream:
        acct = world.new_account(rng, behavior=self.name, label=self.label, ua_family="app",
                                 ips=[world.cloud(rng) for _ in range(rng.randint(2, 4))], channel="reseller",
                                 n_keys=rng.randint(2, 4), endpoint="/v1/chat/completions")
        flat = tuple(0.6 + 0.4 * h for h in BUSINESS_HOURS)  # users in every time zone
        times = world.diurnal_times(rng, lognormal_between(rng, *self.requests_per_day), 0.0, flat)
        return Stream([acct], times, self._records(world, rng, acct, times))

    def _records(self, world: World, rng: random.Random, acct: Account, times: list[int]) -> Iterator[dict]:
        users = _end_users(world, rng, rng.randint(*self.end_users))
        langs = world.corpora.human_langs()
        chats: dict[str, _Conversation] = {}
        for t in times:
            end_user = rng.choice(users)
            lang = rng.choice(langs) if chance(rng, 0.5) else "en"
            roll = rng.random()
            boost = 1.0
            conv = chats.get(end_user)
            if conv is not None and roll < 0.3:
                messages = conv.ask(_follow_up(rng, lang))
            else:
                conv = chats[end_user] = _Conversation(None)
                if roll < 0.4:
                    text = rng.choice(world.corpora.code_pool())
                elif roll < 0.46:
                    text = rng.choice(pb.STEP_BY_STEP_BENIGN["en"]).format(
                        prompt=rng.choice(world.corpora.benchmark_pool()))
                    boost = 2.0
                else:
                    text = rng.choice(world.corpora.human_pool(lang))
                messages = conv.ask(text)
            if len(chats) > 2000:
                chats.clear()
            params = sdk_params(rng)
            if chance(rng, 0.7):
                params["user"] = end_user
            model = pick_model(world, rng, t, {"frontier-1": 0.5, "frontier-1-mini": 0.5, "frontier-2": 0.35})
            rec = world.record(rng, acct, t, messages=messages, params=params, model=model, lang=lang,
                               key=rng.choice(acct.keys), response_chars=int(lognormal_between(rng, 200, 3000)),
                               reasoning_tokens=reasoning_tokens(rng, params.get("reasoning_effort"), boost),
                               status=429 if chance(rng, 0.005) else 200)
            conv.answer(rec["response"]["text"] if rec.get("response") else "")
            yield rec


BENIGN: tuple[type[Behavior], ...] = (ChatUser, Developer, FastAdopter, RagApp, CodingAgentApp, EvalRunner,
                                      SyntheticDataCustomer, RouterReseller)
