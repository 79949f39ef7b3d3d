"""The simulated world: time, models, network and billing infrastructure, accounts, and log records.

Everything random draws from a ``random.Random`` handed in by the caller, so one seed fixes every byte.
Identifiers, IP prefixes and ASNs look like real ones but are synthetic; nothing here is ever contacted.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from distillguard.sim.corpora import Corpora

SECOND_MS: Final = 1_000
MINUTE_MS: Final = 60_000
HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000

# Relative request intensity by local hour for people (night trough, working-day plateau, evening bump).
HUMAN_HOURS: Final = (
    0.15, 0.08, 0.05, 0.04, 0.04, 0.08, 0.2, 0.45, 0.8, 1.0, 1.0, 0.95,
    0.85, 0.95, 1.0, 1.0, 0.9, 0.75, 0.6, 0.65, 0.7, 0.6, 0.4, 0.25,
)  # fmt: skip
# Business apps serving end users: flatter, still daytime-weighted.
BUSINESS_HOURS: Final = (
    0.3, 0.25, 0.2, 0.2, 0.2, 0.25, 0.4, 0.6, 0.85, 1.0, 1.0, 1.0,
    1.0, 1.0, 1.0, 1.0, 0.95, 0.85, 0.7, 0.6, 0.55, 0.5, 0.4, 0.35,
)  # fmt: skip


@dataclass(frozen=True)
class Country:
    code: str
    utc_offset: float  # hours
    weight: float
    lang: str  # the language its people mostly write prompts in
    isps: tuple[int, ...]  # residential ASNs


COUNTRIES: Final = (
    Country("US", -6, 30, "en", (7922, 7018, 701, 20115, 22773)),
    Country("GB", 0, 6, "en", (2856, 5089, 5607)),
    Country("DE", 1, 6, "de", (3320, 3209, 6805)),
    Country("FR", 1, 4, "fr", (3215, 12322, 15557)),
    Country("IN", 5.5, 9, "en", (55836, 24560, 45609)),
    Country("CN", 8, 8, "zh", (4134, 4837, 9808)),
    Country("SG", 8, 3, "en", (7473, 9506)),
    Country("JP", 9, 4, "ja", (4713, 2516, 17676)),
    Country("KR", 9, 3, "ko", (4766, 9318)),
    Country("BR", -3, 4, "pt", (26599, 28573, 18881)),
    Country("RU", 3, 5, "ru", (12389, 8402, 25513)),
    Country("ES", 1, 3, "es", (3352, 12479)),
    Country("MX", -6, 2, "es", (8151, 28548)),
    Country("VN", 7, 2, "vi", (7552, 45899)),
    Country("TR", 3, 2, "tr", (9121, 34984)),
    Country("CA", -5, 3, "en", (812, 577)),
    Country("AU", 10, 2, "en", (1221, 4804)),
)
_COUNTRY_WEIGHTS: Final = tuple(c.weight for c in COUNTRIES)
COUNTRY_BY_CODE: Final = {c.code: c for c in COUNTRIES}

# (ASN, country where its addresses geolocate)
CLOUD_ASNS: Final = (
    (16509, "US"), (14618, "US"), (15169, "US"), (8075, "US"), (14061, "US"), (24940, "DE"),
    (16276, "FR"), (45102, "SG"), (45090, "CN"), (31898, "US"), (63949, "US"), (20473, "US"),
)  # fmt: skip

USER_AGENTS: Final[dict[str, tuple[str, ...]]] = {
    "sdk": (
        "OpenAI/Python 1.54.4", "OpenAI/Python 1.52.0", "OpenAI/Python 1.47.1", "OpenAI/Python 1.35.13",
        "openai-node/4.71.1", "openai-node/4.67.3", "AsyncOpenAI/Python 1.54.4", "python-httpx/0.27.2",
    ),
    "script": (
        "python-requests/2.32.3", "python-requests/2.31.0", "aiohttp/3.10.10", "python-httpx/0.27.2",
        "curl/8.5.0", "Go-http-client/2.0", "axios/1.7.7", "node-fetch/1.0",
    ),
    "app": (
        "langchain-openai/0.2.9", "litellm/1.52.6", "llama-index/0.11.23", "Java-http-client/21.0.5",
        "okhttp/4.12.0", "OpenAI/Python 1.54.4", "openai-node/4.71.1", "Microsoft.Extensions.AI/9.0",
    ),
    "browser": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",  # noqa: E501
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",  # noqa: E501
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",  # noqa: E501
    ),
    "eval": ("lm-eval/0.4.5 python-httpx/0.27.2", "inspect_ai/0.3.46", "OpenAI/Python 1.54.4", "helm/0.5.4"),
}

SIGNUP_CHANNELS: Final = ("web", "free-trial", "startup-program", "enterprise-sales", "reseller", "education",
                          "marketplace")

# Completion characters per reasoning token are irrelevant; what matters is their ratio to output.
REASONING_BY_EFFORT: Final = {"low": (40, 400), "medium": (200, 1500), "high": (800, 4500), None: (100, 900)}


@dataclass(frozen=True)
class Model:
    name: str
    reasoning: bool
    available_from_ms: int  # release time; requests before it do not happen


@dataclass
class Account:
    """One customer account and the infrastructure it uses. ``label``/``campaign`` go to labels.json only."""

    account_id: str
    org_id: str
    keys: list[str]
    payment_fingerprint: str
    created_ms: int
    signup_channel: str
    country: Country
    ips: list[tuple[str, int]]  # (ip, asn) the account normally comes from
    user_agents: list[str]
    endpoint: str
    behavior: str
    label: str
    campaign: str | None = None
    billing: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.billing = {
            "payment_fingerprint": self.payment_fingerprint,
            "account_created": iso(self.created_ms),
            "signup_channel": self.signup_channel,
        }


def iso(ms: int) -> str:
    """RFC 3339 UTC with milliseconds, as the contract shows."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 40:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


def lognormal_between(rng: random.Random, low: float, high: float) -> float:
    """A heavy-tailed draw whose central 95% lies roughly in [low, high]."""
    mu = (math.log(low) + math.log(high)) / 2
    sigma = (math.log(high) - math.log(low)) / 3.92
    return math.exp(rng.gauss(mu, sigma))


class World:
    """Shared facts of one simulation: time span, models, infrastructure, corpora, response filler."""

    def __init__(self, *, seed: int, start_ms: int, days: float, corpora: Corpora, release_at: float = 0.4) -> None:
        self.seed = seed
        self.start_ms = start_ms
        self.days = days
        self.end_ms = start_ms + int(days * DAY_MS)
        self.corpora = corpora
        # The new model lands at a working-hours moment ``release_at`` of the way through the span.
        release = start_ms + int(days * release_at) * DAY_MS + 17 * HOUR_MS
        self.release_ms = release if release < self.end_ms else self.end_ms + DAY_MS
        self.models = {
            "frontier-1": Model("frontier-1", True, 0),
            "frontier-1-mini": Model("frontier-1-mini", False, 0),
            "frontier-2": Model("frontier-2", True, self.release_ms),
        }
        self._ids = random.Random(f"{seed}/ids")
        self._used_ids: set[str] = set()
        self._prefixes: dict[int, list[tuple[int, int]]] = {}
        self._filler: dict[str, str] = {}

    # -- identifiers -------------------------------------------------------------------------------
    def new_id(self, prefix: str, nbytes: int = 4) -> str:
        while True:
            value = f"{prefix}_{self._ids.getrandbits(nbytes * 8):0{nbytes * 2}x}"
            if value not in self._used_ids:
                self._used_ids.add(value)
                return value

    @staticmethod
    def request_id(rng: random.Random) -> str:
        return f"req_{rng.getrandbits(96):024x}"

    # -- network -----------------------------------------------------------------------------------
    def ip_in(self, asn: int, rng: random.Random) -> str:
        """An address inside one of the (synthetic, stable) /16 prefixes of ``asn``."""
        prefixes = self._prefixes.get(asn)
        if prefixes is None:
            r = random.Random(f"{self.seed}/asn/{asn}")
            prefixes = []
            while len(prefixes) < 4:
                a = r.randrange(11, 224)
                if a in (100, 127, 169, 172, 192, 198, 203):  # keep clear of special-use ranges
                    continue
                prefixes.append((a, r.randrange(0, 256)))
            self._prefixes[asn] = prefixes
        a, b = rng.choice(prefixes)
        return f"{a}.{b}.{rng.randrange(0, 256)}.{rng.randrange(1, 255)}"

    def residential(self, rng: random.Random, country: Country) -> tuple[str, int]:
        asn = rng.choice(country.isps)
        return self.ip_in(asn, rng), asn

    def cloud(self, rng: random.Random) -> tuple[str, int]:
        asn, _ = rng.choice(CLOUD_ASNS)
        return self.ip_in(asn, rng), asn

    def proxy_pool(self, rng: random.Random, size: int) -> list[tuple[str, int, str]]:
        """A residential-proxy pool: home addresses in many countries (ip, asn, country)."""
        pool = []
        for _ in range(size):
            country = rng.choices(COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]
            ip, asn = self.residential(rng, country)
            pool.append((ip, asn, country.code))
        return pool

    @staticmethod
    def pick_country(rng: random.Random, only: Sequence[str] | None = None) -> Country:
        if only:
            return COUNTRY_BY_CODE[rng.choice(list(only))]
        return rng.choices(COUNTRIES, weights=_COUNTRY_WEIGHTS)[0]

    # -- accounts ----------------------------------------------------------------------------------
    def new_account(
        self,
        rng: random.Random,
        *,
        behavior: str,
        label: str,
        campaign: str | None = None,
        country: Country | None = None,
        channel: str | None = None,
        created_ms: int | None = None,
        payment_fingerprint: str | None = None,
        ips: list[tuple[str, int]] | None = None,
        ua_family: str = "sdk",
        n_keys: int = 1,
        endpoint: str | None = None,
    ) -> Account:
        country = country or self.pick_country(rng)
        if created_ms is None:  # most accounts are months old; some are new
            age_days = lognormal_between(rng, 3, 600)
            created_ms = self.start_ms - int(age_days * DAY_MS) - rng.randrange(DAY_MS)
        if endpoint is None:
            endpoint = rng.choices(
                ("/v1/chat/completions", "/v1/responses", "/v1/completions"), weights=(85, 12, 3)
            )[0]
        uas = USER_AGENTS[ua_family]
        return Account(
            account_id=self.new_id("acct"),
            org_id=self.new_id("org"),
            keys=[self.new_id("key", 3) for _ in range(n_keys)],
            payment_fingerprint=payment_fingerprint or self.new_id("pf", 6),
            created_ms=created_ms,
            signup_channel=channel or rng.choices(SIGNUP_CHANNELS, weights=(45, 20, 10, 8, 4, 5, 8))[0],
            country=country,
            ips=ips if ips is not None else [self.residential(rng, country) for _ in range(rng.randint(1, 3))],
            user_agents=[rng.choice(uas)],
            endpoint=endpoint,
            behavior=behavior,
            label=label,
            campaign=campaign,
        )

    # -- time --------------------------------------------------------------------------------------
    def diurnal_times(
        self,
        rng: random.Random,
        per_day: float,
        utc_offset: float,
        profile: Sequence[float] = HUMAN_HOURS,
        *,
        start_ms: int | None = None,
        end_ms: int | None = None,
    ) -> list[int]:
        """Poisson arrivals at ``per_day`` on average, shaped by a local-hour ``profile``."""
        start = self.start_ms if start_ms is None else start_ms
        end = self.end_ms if end_ms is None else end_ms
        if end <= start:
            return []
        count = poisson(rng, per_day * (end - start) / DAY_MS)
        peak = max(profile)
        mean = sum(profile) / len(profile)
        out: list[int] = []
        # Rejection sampling against the hourly profile; oversample by peak/mean to keep the count.
        offset_ms = int(utc_offset * HOUR_MS)
        target = count
        while len(out) < target:
            t = rng.randrange(start, end)
            hour = ((t + offset_ms) // HOUR_MS) % 24
            if rng.random() * peak < profile[hour]:
                out.append(t)
            elif mean <= 0:
                break
        out.sort()
        return out

    def steady_times(self, rng: random.Random, per_day: float, jitter: float = 0.3,
                     start_ms: int | None = None, end_ms: int | None = None) -> list[int]:
        """Evenly spaced arrivals (machine pacing) with relative jitter."""
        start = self.start_ms if start_ms is None else start_ms
        end = self.end_ms if end_ms is None else end_ms
        if per_day <= 0 or end <= start:
            return []
        gap = DAY_MS / per_day
        t = start + rng.random() * gap
        out = []
        while t < end:
            out.append(int(t))
            t += gap * (1 + jitter * (2 * rng.random() - 1))
        return out

    # -- models ------------------------------------------------------------------------------------
    def available(self, model: str, ts: int) -> bool:
        return ts >= self.models[model].available_from_ms

    # -- text ----------------------------------------------------------------------------------------
    def filler(self, lang: str) -> str:
        """~1 MB of real-corpus text in ``lang`` that synthetic responses are cut from."""
        text = self._filler.get(lang)
        if text is None:
            pool = self.corpora.human.get(lang) or self.corpora.human_pool("en")
            r = random.Random(f"{self.seed}/filler/{lang}")
            parts: list[str] = []
            size = 0
            while size < 1_000_000:
                p = r.choice(pool)
                parts.append(p)
                size += len(p) + 1
            text = self._filler[lang] = " ".join(parts)
        return text

    def response_text(self, rng: random.Random, lang: str, chars: int) -> str:
        text = self.filler(lang)
        chars = max(1, min(chars, len(text) // 2))
        start = rng.randrange(0, len(text) - chars)
        return text[start : start + chars]

    # -- records -----------------------------------------------------------------------------------
    def record(
        self,
        rng: random.Random,
        account: Account,
        ts: int,
        *,
        messages: list[dict[str, Any]],
        params: dict[str, Any],
        model: str,
        response_chars: int,
        reasoning_tokens: int = 0,
        ip: tuple[str, int] | None = None,
        country: str | None = None,
        key: str | None = None,
        lang: str = "en",
        finish_reason: str = "stop",
        status: int = 200,
        response_text: str | None = None,
    ) -> dict[str, Any]:
        """One contract §1 log line for a request the account made at ``ts``."""
        ip_addr, asn = ip if ip is not None else rng.choice(account.ips)
        endpoint = account.endpoint
        request: dict[str, Any]
        if endpoint == "/v1/completions":
            request = {"prompt": "\n\n".join(str(m["content"]) for m in messages if m["role"] != "assistant")}
        elif endpoint == "/v1/responses":
            system = [m["content"] for m in messages if m["role"] == "system"]
            request = {"input": [m for m in messages if m["role"] != "system"]}
            if system:
                request["instructions"] = system[0]
            if "max_tokens" in params:
                params = dict(params)
                params["max_output_tokens"] = params.pop("max_tokens")
        else:
            request = {"messages": messages}
        request.update(params)
        prompt_chars = sum(len(m["content"]) for m in messages if isinstance(m.get("content"), str))
        out: dict[str, Any] = {
            "request_id": self.request_id(rng),
            "timestamp": iso(ts),
            "account_id": account.account_id,
            "org_id": account.org_id,
            "api_key_id": key or account.keys[0],
            "client": {
                "ip": ip_addr,
                "asn": asn,
                "country": country or account.country.code,
                "user_agent": account.user_agents[0],
            },
            "billing": account.billing,
            "endpoint": endpoint,
            "model": model,
            "request": request,
        }
        if status == 200:
            text = response_text if response_text is not None else self.response_text(rng, lang, response_chars)
            if not self.models[model].reasoning:
                reasoning_tokens = 0
            completion = len(text) // 4 + reasoning_tokens
            out["response"] = {"text": text, "finish_reason": finish_reason, "reasoning_tokens": reasoning_tokens}
            out["usage"] = {"prompt_tokens": prompt_chars // 4 + 4 * len(messages), "completion_tokens": completion}
        else:
            out["response"] = None
            out["usage"] = {"prompt_tokens": prompt_chars // 4 + 4 * len(messages), "completion_tokens": 0}
        out["status"] = status
        return out
