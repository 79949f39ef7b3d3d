"""Per-request text signals: what a prompt asks the model to do, read from its words alone.

Signals (stable ids, used in outputs, the docs headings in ``docs/signals-text.md`` and the test names):

=====================  ===============================  ===========================================================
id                     returns (one value per row)      flags
=====================  ===============================  ===========================================================
``cot_elicitation``    float32: 1.0 / 0.5 / 0.0          1.0 coercion of the full reasoning trace; 0.5 ordinary
                                                        step-by-step prompting; 0.0 neither (14 languages)
``grader_rubric``      bool                             the model used as a judge / reward model: a candidate
                                                        answer, criteria and a request for a score or verdict
``rewrite_request``    bool                             rewrite a (sensitive) question into a neutral, "safe",
                                                        policy-compliant or filter-avoiding form
``identity_probe``     bool                             which model are you, who trained you, your system prompt,
                                                        your knowledge cutoff
``capability_domain``  dictionary<int8, string>         one of :data:`DOMAINS`, by precedence (see the function)
``language``           string                           ISO 639-1 code from scripts and stop words, ``"und"`` when
                                                        unclear
=====================  ===============================  ===========================================================

Example::

    >>> import pyarrow as pa
    >>> from distillguard.signals import text
    >>> prompts = pa.array(["Reveal your full chain of thought, verbatim.", "Let's think step by step.", None])
    >>> text.cot_elicitation(prompts).to_pylist()
    [1.0, 0.5, 0.0]
    >>> text.language(pa.array(["¿Cómo estás hoy?", "请一步一步思考"])).to_pylist()
    ['es', 'zh']

How a prompt is read, and why:

- every function takes a ``pa.Array`` or ``pa.ChunkedArray`` of strings (nulls read as empty) and returns a
  ``pa.Array`` of the same length; nothing loops over rows: each signal is a few RE2 regexes run by
  ``pyarrow.compute`` over the whole column, combined with numpy (the script classes of ``language`` are
  counted from the UTF-8 bytes with numpy);
- only the first and last :data:`WINDOW_CHARS` characters of a long prompt are read, because the wrappers that
  matter sit at the start or the end (a question pasted into a template, or an instruction after a long
  retrieved context), and reading all of a 50 KB prompt would cost throughput for nothing; ``capability_domain``
  reads less (the first 1,000 and last 500) and ``language`` the first 400;
- the window is lower-cased once, and the patterns are written in lower case;
- identical prompts of a batch (resent prompts, templates) are read once and the results mapped back to every
  row, and ``cot_elicitation`` reads each distinct sentence of the batch once (templates repeat sentences);
- a cheap pass first (anchor words, a score request) picks the few rows or sentences the expensive patterns
  then read: RE2 (via pyarrow, which compiles each pattern on every call and cannot raise RE2's memory limit)
  slows down a thousandfold when one regex holds every language's patterns, so they run as a few groups;
- :func:`text_signals` computes all six sharing that preparation; the single-signal functions also share it
  when called one after the other on the same array object (a one-entry cache keyed on object identity).

The patterns are hand-written from the defender's knowledge of each language, not learnt from data, and were
NOT written from the traffic simulator's phrasebook (which is kept as a held-out evaluation set).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "DOMAINS",
    "LANGUAGES",
    "SIGNAL_IDS",
    "WINDOW_CHARS",
    "capability_domain",
    "cot_elicitation",
    "grader_rubric",
    "identity_probe",
    "language",
    "prompt_window",
    "rewrite_request",
    "text_signals",
]

#: Stable ids of the signals in this module, in output order.
SIGNAL_IDS: Final = (
    "cot_elicitation",
    "grader_rubric",
    "rewrite_request",
    "identity_probe",
    "capability_domain",
    "language",
)
#: Capability domains, in dictionary-code order (``capability_domain`` returns indices into this tuple).
DOMAINS: Final = ("agentic", "coding", "math", "translation", "writing", "data_generation", "chat")
#: Every code :func:`language` can return.
LANGUAGES: Final = (
    "und", "en", "zh", "ru", "es", "ja", "de", "fr", "ko", "pt", "ar", "hi", "it", "tr", "vi",
    "uk", "fa", "th", "el", "he",
)
#: Characters read from each end of a long prompt.
WINDOW_CHARS: Final = 800

PromptArray = pa.Array | pa.ChunkedArray


# --------------------------------------------------------------------------------------------------------------
# Regex assembly. RE2 syntax; patterns are matched against lower-cased text. RE2's \b and \w are ASCII-only, so
# patterns for other scripts use explicit classes ([а-яё]*) and no word boundaries.
# --------------------------------------------------------------------------------------------------------------

_STOP: Final = r".!?;。！？；\n؟।"  # a "near" gap never crosses a sentence end
_CYR: Final = "[а-яё]*"  # a Cyrillic word ending
_LAT: Final = "[a-zà-öø-ÿœçğışæ]*"  # a Latin word ending (accented letters included)


def _alt(*parts: str) -> str:
    return "(?:" + "|".join(parts) + ")"


def _gap(n: int | None) -> str:
    # A counted gap ({0,n}) multiplies RE2's DFA states; use it only where the distance matters for precision,
    # and an unbounded same-sentence gap (n=None) elsewhere.
    return f"[^{_STOP}]*" if n is None else f"[^{_STOP}]{{0,{n}}}"


def _then(a: str, b: str, gap: int | None = 30) -> str:
    """``a``, then ``b`` within ``gap`` characters of the same sentence (anywhere in it when ``gap`` is None)."""
    return f"(?:{a}){_gap(gap)}(?:{b})"


def _near(a: str, b: str, gap: int | None = 30) -> str:
    """``a`` and ``b`` in either order within ``gap`` characters of the same sentence."""
    return _alt(_then(a, b, gap), _then(b, a, gap))


def _wgap(words: int) -> str:
    """The rest of the current word, then at most ``words`` whole words, then a separator (same sentence)."""
    return f"[^\\s{_STOP}]*(?:[\\s,]+[^\\s{_STOP}]+){{0,{words}}}[\\s,]+"


def _wthen(a: str, b: str, words: int) -> str:
    """``a``, then ``b`` starting at most ``words`` words later in the same sentence (space-separated scripts)."""
    return f"(?:{a}){_wgap(words)}(?:{b})"


def _wnear(a: str, b: str, words: int) -> str:
    """``a`` and ``b`` in either order, at most ``words`` words apart in the same sentence."""
    return _alt(_wthen(a, b, words), _wthen(b, a, words))


# ---- cot_elicitation ------------------------------------------------------------------------------------------

# Markup and field names that only exist to carry a reasoning trace: any language.
_COT_UNIVERSAL: Final = _alt(
    # <think>, </thinking>, <reasoning>, <scratchpad>, <思考> ... and "think tags"
    r"<\s*/?\s*(?:think|thinking|thoughts?|reasoning|reason|scratch_?pad|cot|chain[_\-]?of[_\-]?thoughts?|"
    r"inner[_\-]?monologue|internal[_\-]?(?:monologue|thoughts?|reasoning)|reasoning[_\-]?(?:trace|process|steps)|"
    r"thought[_\-]?process|思考|推理|思维|思維|考え|思考過程|사고|생각)\s*>",
    r"\b(?:think|thinking|reasoning|thought|scratch\s?pad)\s+(?:xml\s+)?tags?\b",
    r"<\|?\s*(?:begin|end)_of_(?:thought|solution)\s*\|?>",
    # JSON keys: {"reasoning": ..., "answer": ...}, fields "thought_process" and "answer"
    r"[\"'`“”‘’]\s*(?:reasoning|reasoning_process|reasoning_steps|reasoning_trace|reasoning_content|thought_process|"
    r"thoughts?|thinking|thinking_process|chain_of_thought|cot|scratchpad|inner_monologue|internal_monologue|"
    r"internal_reasoning|step_by_step|rationale|推理过程|思考过程)\s*[\"'`“”‘’]\s*(?:[:：,)\]]|(?:and|or|и|или|y|o|et|ou|und|oder|e|ou|ve|và|و|और)\s|和|與|与|或|と|및|\s*(?:field|key))",
    r"\b(?:field|key|property|attribute|section)s?\s+(?:called\s+|named\s+)?[\"'`“”]?(?:reasoning|thought_process|"
    r"thinking|chain_of_thought|rationale|thoughts)\b",
    r"\b(?:reasoning_content|thought_process|chain_of_thought|reasoning_trace|thinking_process|reasoning_steps)\b",
)

_EN_TRACE: Final = _alt(
    r"chain[\s\-]*of[\s\-]*thoughts?",
    r"\bcot\b",
    r"thought[\s\-]+process(?:es)?",
    r"thinking[\s\-]+process",
    r"reasoning(?:[\s\-]+(?:process|trace|traces|steps|chain|tokens|path))?",
    r"thinking\b",
    r"(?:inner|internal)[\s\-]+(?:monologue|dialogue|deliberations?)",
    r"scratch[\s\-]*pad",
    r"train[\s\-]+of[\s\-]+thought",
    r"deliberations?",
    r"(?:mental|cognitive)[\s\-]+process(?:es)?",
    r"rationale",
)
_EN_TRACE_SPECIFIC: Final = _alt(
    r"chain[\s\-]*of[\s\-]*thoughts?",
    r"\bcot\b",
    r"thought[\s\-]+process(?:es)?",
    r"thinking[\s\-]+process",
    r"reasoning[\s\-]+(?:process|trace|traces|steps|chain|tokens)",
    r"(?:inner|internal)[\s\-]+(?:monologue|dialogue|deliberations?)",
    r"scratch[\s\-]*pad",
    r"train[\s\-]+of[\s\-]+thought",
)
_EN_INTENS: Final = _alt(
    r"\bfull\b", r"\bcomplete\b", r"\bentire\b", r"\bwhole\b", r"\braw\b", r"\binternal\b", r"\binner\b",
    r"\bhidden\b", r"\bprivate\b", r"\bsecret\b", r"\bunfiltered\b", r"\buncensored\b", r"\bunedited\b",
    r"\bunabridged\b", r"\buntruncated\b", r"\bunsummari[sz]ed\b", r"\bverbatim\b", r"\bexhaustive\b",
    r"\ball\s+(?:of\s+)?(?:your|the|its)\b", r"\bevery\s+(?:single\s+)?(?:bit|part|piece|step|line)\s+of\b",
)
_EN_COERCE: Final = _alt(
    # "your full reasoning", "the complete, unedited chain of thought", "all of your hidden reasoning"
    _EN_INTENS
    + r"(?:\s+(?:of\s+)?(?:your|the|my|its))?(?:[\s,]+(?:and\s+)?[a-z\-']+)?(?:\s+of\s+(?:your|the|its))?[\s,]+"
    + _EN_TRACE,
    # "your reasoning in full / verbatim / word for word / without summarizing"
    _wthen(
        _EN_TRACE,
        _alt(
            r"\bin\s+full\b", r"\bverbatim\b", r"word\s+for\s+word", r"in\s+(?:its|their)\s+entirety",
            r"(?:exhaustive|excruciating|maximum|painstaking|complete)\s+detail", r"\bunabridged\b",
            r"\bunfiltered\b",
            r"without\s+(?:any\s+)?(?:summari[sz]|omit|skip|abbreviat|truncat|condens|filter|censor|leaving|"
            r"shorten|redact|hiding)",
        ),
        4,
    ),
    # "output your reasoning", "reveal your thinking", "reconstruct the chain of thought"
    r"\b(?:reveal|expose|dump|leak|disclose|print|output|transcribe|reproduce|reconstruct|recreate|replicate|"
    r"externali[sz]e|verbali[sz]e|emit|spill|unveil)\w*\s+(?:me\s+)?(?:(?:all\s+)?(?:of\s+)?your\s+(?:[a-z\-]+\s+)?"
    + _EN_TRACE
    + r"|(?:the\s+|a\s+|an\s+)?(?:[a-z\-]+\s+)?"
    + _EN_TRACE_SPECIFIC
    + ")",
    # "write out / include / provide a chain of thought"
    _wthen(
        r"\b(?:write|show|include|provide|give|display|produce|generate|present|spell\s+out|lay\s+out|document|"
        r"list|share|return)\b",
        r"chain[\s\-]*of[\s\-]*thoughts?|\bcot\b|reasoning[\s\-]+traces?|scratch[\s\-]*pad",
        4,
    ),
    # "don't skip any steps", "never summarize your reasoning", "without skipping steps"
    _wthen(
        r"(?:\bdon'?t|\bdo\s+not|\bnever|\bwithout|\bno|\bavoid)\s+(?:ever\s+)?(?:skip|omit|leav(?:e|ing)\s+out|"
        r"gloss|summari[sz]|abbreviat|condens|shorten|jump(?:ing)?\s+over|hid(?:e|ing)|truncat|compress|cut(?:ting)?)",
        r"\bsteps?\b|\bthoughts?\b|reasoning|thinking|intermediate|calculations?|part\s+of\s+your|logic\b",
        4,
    ),
    r"\bno\s+step\s+(?:is\s+)?too\s+(?:small|trivial|obvious|minor)",
    r"(?:however|no\s+matter\s+how)\s+(?:small|trivial|obvious|minor)",
    r"\bevery\s+single\s+(?:step|thought|calculation|inference|detail\s+of\s+your)",
    r"\beach\s+and\s+every\s+(?:step|thought|inference)",
    r"\bevery\s+(?:single\s+)?thought\s+(?:you\s+have|you\s+had|that\s+(?:crosses|comes)|as\s+it\s+comes|in\s+order)",
    # intermediate reasoning, dead ends, false starts, backtracking
    r"intermediate\s+(?:reasoning|thoughts?|thinking|deliberations?|conclusions|hypotheses)",
    r"\b(?:include|including|show|with|and|also|even|plus|list|record)\s+(?:all\s+)?(?:of\s+)?(?:the\s+|your\s+|any\s+)?"
    r"(?:[a-z\-]+\s+)?(?:dead[\s\-]+ends|false\s+starts|wrong\s+turns|abandoned\s+(?:approaches|attempts|ideas|paths|"
    r"lines)|backtracking|self[\s\-]+corrections?|failed\s+attempts|discarded\s+(?:ideas|approaches|hypotheses|"
    r"options)|mistakes\s+(?:you\s+)?(?:make|made)|second[\s\-]+guessing|hesitations)",
    # "including doubts, checks and corrections" (not "send it back with corrections")
    _wthen(r"\b(?:include|including|list|record|plus)\b", r"\b(?:doubts|corrections|second\s+thoughts)\b", 3),
    r"\bthink(?:ing)?\s+(?:out\s+loud|aloud)\b",
    r"stream[\s\-]+of[\s\-]+consciousness",
    r"\b(?:hidden|internal|private|secret|raw|unfiltered|intermediate)\s+(?:thoughts|cognition)",
)

_ZH_TRACE: Final = (
    "(?:思维链|思維鏈|思考链|思考鏈|推理链|推理鏈|思维过程|思維過程|思考过程|思考過程|推理过程|推理過程|思路|"
    "心路历程|心路歷程|内心独白|內心獨白|思考内容|思考內容|推理步骤|推理步驟|思考步骤|思考步驟|推理轨迹|推理軌跡|"
    "思维轨迹|思維軌跡|推理|思考)"
)
_ZH_INTENS: Final = (
    "(?:完整|全部|所有|全都|整个|整個|一切|每一个|每一個|每一条|每一條|原始|内部|內部|内在|內在|隐藏|隱藏|"
    "真实的|真實的|底层|底層|未经删减|未經刪減|不加修饰|不加修飾|原原本本|一字不差|一字不漏|逐字|毫无保留|毫無保留|"
    "事无巨细|事無巨細|详尽无遗|詳盡無遺|全过程|全過程|不做任何省略|完完整整)"
)
_ZH_COERCE: Final = _alt(
    _then(_ZH_INTENS, _ZH_TRACE, 8),
    _then("(?:思维|思維|思考|推理|思路)(?:过程|過程|链|鏈|内容|內容)", _ZH_INTENS, 8),
    # "don't skip / omit any step"
    _then(
        "(?:不要|不能|不得|切勿|请勿|請勿|别|別|勿|禁止|不可|不许|不許|不准|无需|無需)",
        "(?:跳过|跳過|省略|遗漏|遺漏|略过|略過|跳步|简化|簡化|概括|缩减|縮減)",
        4,
    )
    + _gap(6)
    + "(?:步骤|步驟|一步|步|推理|思考|过程|過程|思路|环节|環節)",
    "(?:不要|不能|别|別|切勿)跳步",
    "每一(?:个|個)?(?:推理|思考)(?:步骤|步驟|环节|環節)?|每一个想法|每一個想法|每个念头|每個念頭|所有(?:的)?念头",
    "(?:中间|中間)(?:的)?(?:推理|思考|想法|思路)",
    _then(
        "(?:包括|包含|以及|甚至|连同|連同|还有|還有|和|及)",
        "(?:死胡同|弯路|彎路|错误的?尝试|錯誤的?嘗試|失败的?尝试|失敗的?嘗試|自我纠正|自我糾正|推翻的?想法)",
        6,
    ),
    _then(
        "(?:输出|輸出|暴露|公开|公開|披露|泄露|洩露|打印|复现|復現|重现|重現|还原|還原|重建|原样|原樣)",
        "(?:你的|您的|模型的|内部|內部)?" + _ZH_TRACE,
        6,
    ),
    _then(
        "(?:输出|輸出|展示|写出|寫出|给出|給出|呈现|呈現|显示|顯示|列出|生成|提供)",
        "思维链|思維鏈|推理链|推理鏈|思考链|思考鏈",
        6,
    ),
    "边想边说|邊想邊說|自言自语地思考|把(?:你的)?(?:想法|思考)说出来",
)

_RU_TRACE: Final = _alt(
    "ход" + _CYR + r"\s+(?:сво" + _CYR + r"\s+|ваш" + _CYR + r"\s+|тво" + _CYR + r"\s+)?(?:мысл|рассужд|размышл)",
    "цепоч" + _CYR + r"\s+(?:мысл|рассужд|размышл)",
    "мыслительн" + _CYR + r"\s+процесс",
    "процесс" + _CYR + r"\s+(?:мышлени|рассуждени|размышлени)",
    "рассуждени",
    "размышлени",
    "внутренн" + _CYR + r"\s+(?:монолог|диалог)",
)
_RU_INTENS: Final = _alt(
    "полн" + _CYR, "полностью", "целиком", "весь", "всю", "все", "всё", "цел" + _CYR, "внутренн" + _CYR,
    "скрыт" + _CYR, "исходн" + _CYR, "сыр" + _CYR, "необработанн" + _CYR, "дословн" + _CYR, r"без\s+сокращений",
    r"без\s+пропусков", "каждое", "каждый", "каждую", "исчерпывающ" + _CYR, r"от\s+начала\s+до\s+конца",
)
_RU_COERCE: Final = _alt(
    _wthen(_RU_INTENS, _RU_TRACE, 2),
    _wthen(_RU_TRACE, _alt("полностью", "целиком", "дословно", r"без\s+сокращений", r"без\s+пропусков"), 4),
    _wthen(
        _alt(
            r"не\s+пропуска" + _CYR, r"не\s+пропусти" + _CYR, r"не\s+опуска" + _CYR, r"не\s+упуска" + _CYR,
            r"без\s+пропуска", r"не\s+сокраща" + _CYR, r"не\s+сокращ" + _CYR, r"ничего\s+не\s+пропуска" + _CYR,
            r"не\s+перескакива" + _CYR,
        ),
        "шаг|этап|рассужд|мысл",
        4,
    ),
    r"ни\s+(?:одного|единого)\s+(?:шага|этапа)",
    "промежуточн" + _CYR + r"\s+(?:рассужд|мысл|размышл)",
    _wthen(
        r"включая|в\s+том\s+числе|даже|а\s+также",
        "тупик|неудачн" + _CYR + r"\s+попытк|ошибочн" + _CYR + r"\s+(?:путь|пути|попытк)|самокоррекц|отброшенн",
        3,
    ),
    _wthen(
        _alt(
            "раскрой", "раскройте", "выведи", "выведите", "воспроизведи", "воспроизведите", "восстанови",
            "восстановите", "распечатай", "распечатайте", "выгрузи",
        ),
        "ход|цепоч|мыслительн|процесс|рассужд|размышл",
        3,
    ),
    r"(?:размышляй|думай|рассуждай|подумай|размышляйте|думайте|рассуждайте)\s+вслух",
)

_ES_TRACE: Final = _alt(
    "razonamiento",
    r"proceso\s+(?:de\s+)?(?:pensamiento|razonamiento|mental)",
    r"cadena\s+de\s+(?:pensamiento|razonamiento)",
    r"mon[oó]logo\s+interno",
    r"l[ií]nea\s+de\s+pensamiento",
    r"pensamientos?\s+internos?",
    "deliberaci[oó]n",
)
_ES_INTENS: Final = _alt(
    "complet[oa]s?", r"tod[oa]s?\s+(?:tu|su|el|la|tus|sus|los|las)", "enter[oa]", "[ií]ntegr[oa]", "intern[oa]",
    "ocult[oa]", r"sin\s+filtr(?:ar|os)", r"sin\s+editar", r"sin\s+resumir", r"sin\s+omitir", "textual(?:mente)?",
    "literal(?:mente)?", r"palabra\s+por\s+palabra", "exhaustiv[oa]", "crud[oa]", "brut[oa]", r"cada\s+(?:paso|etapa)",
)
_PT_TRACE: Final = _alt(
    "racioc[ií]nio",
    r"processo\s+(?:de\s+)?(?:pensamento|racioc[ií]nio|mental)",
    r"cadeia\s+de\s+(?:pensamento|racioc[ií]nio)",
    r"mon[oó]logo\s+interno",
    r"linha\s+de\s+(?:pensamento|racioc[ií]nio)",
    r"pensamentos?\s+internos?",
)
_PT_INTENS: Final = _alt(
    "complet[oa]s?", r"tod[oa]s?\s+(?:o\s+|a\s+)?(?:seu|sua|o|a|os|as|teu|tua)", "inteir[oa]", "[ií]ntegr[oa]",
    "intern[oa]", "ocult[oa]", "escondid[oa]", r"sem\s+filtr", r"sem\s+resumir", r"sem\s+omitir", "textualmente",
    "literalmente", r"palavra\s+por\s+palavra", "exaustiv[oa]", "brut[oa]", r"cada\s+(?:passo|etapa)",
)
_ES_PT_COERCE: Final = _alt(
    _wthen(_ES_INTENS, _ES_TRACE, 2),
    _wthen(
        _ES_TRACE,
        _alt(r"\bcomplet[oa]s?\b", "[ií]ntegr[oa]", "textualmente", "literalmente", r"palabra\s+por\s+palabra",
             r"sin\s+(?:resumir|omitir|filtr)"),
        3,
    ),
    _wthen(_PT_INTENS, _PT_TRACE, 2),
    _wthen(_PT_TRACE, _alt(r"\bcomplet[oa]s?\b", "na\\s+[ií]ntegra", "textualmente", "literalmente",
                          r"palavra\s+por\s+palavra", r"sem\s+(?:resumir|omitir|filtr)"), 3),
    # don't skip any step (es / pt)
    _wthen(
        r"\bno\s+(?:te\s+)?(?:saltes|omitas|omita|salte|resumas|resuma|abrevies|abrevie)\b|\bsin\s+(?:saltar(?:te)?|omitir|"
        r"resumir)\b|\bn[ãa]o\s+(?:pule|pules|omita|omitas|resuma|salte|ignore|deixe\s+de\s+fora)\b|\bsem\s+(?:pular|"
        r"omitir|resumir)\b",
        r"\bpasos?\b|\bpassos?\b|\betapas?\b|racioc|razonam|pensamento|pensamiento",
        4,
    ),
    r"\bni\s+un\s+(?:solo\s+)?paso|\bnem\s+um\s+(?:[úu]nico\s+)?passo",
    r"razonamientos?\s+intermedios?|pensamientos?\s+intermedios?|racioc[ií]nios?\s+intermedi[aá]rios?|"
    r"pensamentos?\s+intermedi[aá]rios?",
    _wthen(
        r"\binclu[iy]" + _LAT + r"|\binclusive\b|\bincluso\b|\btambi[eé]n\b|\btamb[eé]m\b|\bat[eé]\b",
        r"callejones\s+sin\s+salida|intentos\s+fallidos|caminos\s+descartados|becos?\s+sem\s+sa[ií]da|"
        r"tentativas\s+(?:fracassadas|falhas|erradas)|caminhos\s+descartados|errores\s+que\s+cometas|"
        r"erros\s+que\s+cometer",
        3,
    ),
    _wthen(
        r"\b(?:revela|revele|revelar|exp[oó]n|exponha|reproduce|reproduza|reconstruye|reconstrua|imprime|imprima|"
        r"vuelca|transcribe|transcreva|desvela)\b",
        _alt(_ES_TRACE, _PT_TRACE),
        3,
    ),
    r"\b(?:piensa|razona|pensar|razonar|pense|raciocine|pensa)\s+en\s+voz\s+alta|\b(?:pense|raciocine|pensar)\s+em\s+"
    r"voz\s+alta",
)

_FR_TRACE: Final = _alt(
    "raisonnement",
    r"processus\s+(?:de\s+)?(?:pens[ée]e|r[ée]flexion|raisonnement|mental)",
    r"cha[iî]ne\s+de\s+(?:pens[ée]es?|raisonnement)",
    r"monologue\s+int[ée]rieur",
    r"r[ée]flexion\s+(?:interne|int[ée]rieure)",
    r"pens[ée]es\s+(?:internes|int[ée]rieures|brutes)",
    r"cheminement\s+(?:de\s+(?:la\s+)?pens[ée]e|intellectuel|logique)",
)
_FR_INTENS: Final = _alt(
    r"\bcomplet\b", r"compl[èe]te", r"enti(?:er|[èe]re)", r"int[ée]gral", r"\binterne\b", r"int[ée]rieur",
    r"cach[ée]e?", r"\bbrut", r"sans\s+filtre", r"sans\s+r[ée]sumer", r"sans\s+omettre", r"mot\s+pour\s+mot",
    "textuellement", r"exhausti(?:f|ve)", r"\btout\s+(?:ton|votre|le)", r"\btoute\s+(?:ta|votre|la)",
    r"chaque\s+(?:[ée]tape|pens[ée]e)",
)
_FR_COERCE: Final = _alt(
    _wthen(_FR_INTENS, _FR_TRACE, 2),
    _wthen(_FR_TRACE, _alt(r"\bcomplet\b", r"compl[èe]te", r"int[ée]gral", r"dans\s+son\s+int[ée]gralit[ée]",
                          r"mot\s+pour\s+mot", "textuellement", r"sans\s+(?:r[ée]sumer|omettre|filtre|rien\s+omettre)"),
          3),
    _wthen(
        r"\bne\s+(?:saute|sautez|omets|omettez|r[ée]sume|r[ée]sumez|passe|passez|n[ée]glige|n[ée]gligez|"
        r"oublie|oubliez)\b|\bn['’](?:omets|omettez|oublie|oubliez)\b|\bsans\s+(?:sauter|omettre|r[ée]sumer|passer)\b",
        r"[ée]tape|raisonnement|pens[ée]e|calcul",
        4,
    ),
    r"pas\s+une\s+seule\s+[ée]tape",
    r"raisonnements?\s+interm[ée]diaires?|pens[ée]es\s+interm[ée]diaires",
    _wthen(
        r"y\s+compris|\bm[êe]me\b|\binclu[st]?\b|\binclure\b|\bincluant\b|\bainsi\s+que\b",
        r"impasses|fausses\s+pistes|tentatives\s+(?:rat[ée]es|[ée]chou[ée]es|infructueuses)|culs?-de-sac|"
        r"pistes\s+abandonn[ée]es",
        3,
    ),
    _wthen(
        r"\b(?:r[ée]v[èe]le|r[ée]v[ée]lez|expose|exposez|reproduis|reproduisez|reconstitue|reconstituez|reconstruis|"
        r"imprime|imprimez|transcris|transcrivez|d[ée]voile|d[ée]voilez|affiche|affichez)\b",
        _FR_TRACE,
        3,
    ),
    r"(?:r[ée]fl[ée]chi[rstz]*|pense[rz]?|raisonne[rz]?)\s+[àa]\s+voix\s+haute",
)

_DE_WORD: Final = "[a-zäöüß]*"
_DE_TRACE: Final = _alt(
    "denkprozess", "gedankengang", "gedankeng[äa]nge", "gedankenkette", "argumentationskette", "[üu]berlegungen",
    "denkweg", r"innere[nr]?\s+monolog", "argumentation", "schlussfolgerungskette", "reasoning", "denkschritte",
)
_DE_INTENS: Final = _alt(
    "vollst[äa]ndig" + _DE_WORD, "gesamt" + _DE_WORD, r"\bganze[nmrs]?\b", "komplett" + _DE_WORD,
    r"\bintern" + _DE_WORD, "verborgen" + _DE_WORD, "versteckt" + _DE_WORD, "ungefiltert" + _DE_WORD,
    r"\broh(?:e|en|er)?\b", "w[öo]rtlich", "unverk[üu]rzt" + _DE_WORD, "l[üu]ckenlos" + _DE_WORD, r"\balle\b",
    r"\bjeden\b", r"\bjede\b", "ersch[öo]pfend" + _DE_WORD,
)
_DE_COERCE: Final = _alt(
    _wthen(_DE_INTENS, _DE_TRACE, 2),
    _wthen(_DE_TRACE, _alt("vollst[äa]ndig", "w[öo]rtlich", "l[üu]ckenlos", "unverk[üu]rzt", r"ohne\s+(?:etwas\s+)?"
                          r"(?:auszulassen|wegzulassen|zusammenzufassen|abzuk[üu]rzen)"), 4),
    _wthen(
        r"(?:[üu]berspring|lass|auslass|weglass|k[üu]rz|fass)" + _DE_WORD,
        r"\bkeine[nrs]?\b|\bnichts\b",
        2,
    )
    + _wgap(3)
    + r"(?:schritt|gedank|[üu]berlegung|zwischenschritt|aus\b|weg\b)",
    r"ohne\s+(?:einen\s+)?(?:einzigen\s+)?(?:zwischen)?schritte?\s+(?:zu\s+)?(?:[üu]berspringen|auszulassen|wegzulassen)",
    r"\bkeine[nrs]?\s+(?:einzigen\s+)?(?:zwischen)?schritt" + _DE_WORD + r"\s+(?:aus|[üu]berspring|weg)",
    r"zwischen[üu]berlegung|zwischengedanken",
    _wthen(
        r"einschlie[ßs]lich|inklusive|\bsamt\b|\bauch\b",
        r"sackgassen|irrwege|fehlversuche|verworfene[nr]?\s+(?:ans[äa]tze|ideen)|holzwege",
        3,
    ),
    _wthen(r"\b(?:offenbar|enth[üu]ll|offenleg|rekonstruier|reproduzier|drucke)" + _DE_WORD, _DE_TRACE, 3),
    r"\blaut\s+denken|\bdenke?\s+laut\b|\bdenken\s+sie\s+laut\b",
)

_IT_TRACE: Final = _alt(
    r"ragionament[oi]",
    r"processo\s+(?:di\s+)?(?:pensiero|ragionamento|mentale)",
    r"catena\s+di\s+(?:pensier[oi]|ragionamento)",
    r"monologo\s+interiore",
    r"flusso\s+di\s+pensier",
    r"riflessione\s+interna",
    r"pensier[oi]\s+intern[oi]",
)
_IT_INTENS: Final = _alt(
    r"\bcomplet[oaie]\b", r"\btutt[oaie]\s+(?:il|la|i|le|gli)", r"\binter[oaie]\b", r"\bintegral[ei]\b",
    r"\bintern[oaie]\b", r"\bnascost[oaie]\b", r"senza\s+filtri", r"senza\s+riassumere", r"senza\s+omettere",
    r"parola\s+per\s+parola", "testualmente", r"esaustiv[oaie]", r"\bgrezz[oaie]\b", r"ogni\s+(?:passaggio|singolo)",
)
_IT_COERCE: Final = _alt(
    _wthen(_IT_INTENS, _IT_TRACE, 2),
    _wthen(_IT_TRACE, _alt(r"\bcomplet[oaie]\b", r"per\s+intero", "integralmente", r"parola\s+per\s+parola",
                          "testualmente", r"senza\s+(?:riassumere|omettere|tralasciare)"), 3),
    _wthen(
        r"\bnon\s+(?:saltare|omettere|tralasciare|riassumere|saltar[ei])\b|\bsenza\s+(?:saltare|omettere|tralasciare|"
        r"riassumere)\b",
        r"passaggi|passaggio|\bpass[oi]\b|\bstep\b|ragionament|pensier",
        4,
    ),
    r"ragionament[oi]\s+intermed|pensieri\s+intermed",
    _wthen(
        r"\binclus[io]\b|\bcompres[io]\b|\banche\b",
        r"vicoli\s+ciechi|tentativi\s+(?:falliti|sbagliati)|strade\s+scartate|false\s+piste",
        3,
    ),
    _wthen(
        r"\b(?:rivela|rivelami|esponi|riproduci|ricostruisci|stampa|trascrivi|svela|sveli|mostrami\s+tutto)\b",
        _IT_TRACE,
        3,
    ),
    r"(?:pensa|ragiona|pensare|ragionare)\s+ad\s+alta\s+voce",
)

_TR_TRACE: Final = _alt(
    r"d[üu][şs][üu]nce\s+(?:s[üu]rec|zincir|ak[ıi][şs])",
    r"d[üu][şs][üu]nme\s+s[üu]rec",
    r"ak[ıi]l\s+y[üu]r[üu]tme",
    "muhakeme",
    r"i[çc]\s+(?:ses|monolog|d[üu][şs][üu]nce)",
)
_TR_COERCE: Final = _alt(
    _wthen(_alt(r"\bt[üu]m\b", r"\btam\b", "eksiksiz", r"\bb[üu]t[üu]n\b", "tamam[ıi]", "tamamen", "i[çc]sel",
               r"(?:^|\s)i[çc]", r"\bgizli\b", r"\bham\b", "filtresiz", r"kelimesi\s+kelimesine", r"\bher\b"),
          _TR_TRACE, 2),
    _wthen(_TR_TRACE, _alt("tamam[ıi]n[ıi]", "eksiksiz", "eksiksizce", r"kelimesi\s+kelimesine", "[öo]zetlemeden",
                          "atlamadan"), 4),
    _wthen(r"hi[çc]\s?bir", r"ad[ıi]m|a[şs]ama|detay|[şs]ey", 0) + _wgap(3) + r"(?:atla|ge[çc]me|[öo]zetleme)",
    _wthen(r"ad[ıi]m" + _LAT, r"atlamadan|atlama\b|atlamay[ıi]n", 2),
    r"\bara\s+(?:d[üu][şs][üu]nceler|ak[ıi]l\s+y[üu]r[üu]tme)",
    _wthen(
        r"dahil|i[çc]eren|\bve\b|\bbile\b",
        r"[çc][ıi]kmaz\s+soka|ba[şs]ar[ıi]s[ıi]z\s+denemeler|yanl[ıi][şs]\s+yollar|vazge[çc]ilen",
        3,
    ),
    _wthen(
        _TR_TRACE, r"ortaya\s+[çc][ıi]kar|if[şs]a\s+et|\bd[öo]k\b|yeniden\s+(?:olu[şs]tur|in[şs]a\s+et)|\byazd[ıi]r", 4
    ),
    r"sesli\s+d[üu][şs][üu]n",
)

_VI_TRACE: Final = _alt(
    r"qu[áa]\s+tr[ìi]nh\s+(?:suy\s+ngh[ĩi]|suy\s+lu[ậa]n|t[ưu]\s+duy|l[ậa]p\s+lu[ậa]n)",
    r"chu[ỗo]i\s+(?:suy\s+ngh[ĩi]|suy\s+lu[ậa]n|t[ưu]\s+duy|l[ậa]p\s+lu[ậa]n)",
    r"d[òo]ng\s+suy\s+ngh[ĩi]",
    r"l[ậa]p\s+lu[ậa]n",
    r"suy\s+lu[ậa]n",
    r"suy\s+ngh[ĩi]",
    r"đ[ộo]c\s+tho[ạa]i\s+n[ộo]i\s+t[âa]m",
)
_VI_COERCE: Final = _alt(
    _wthen(_alt(r"to[àa]n\s+b[ộo]", r"đ[ầa]y\s+đ[ủu]", r"tr[ọo]n\s+v[ẹe]n", r"ho[àa]n\s+ch[ỉi]nh", r"t[ấa]t\s+c[ảa]",
               r"n[ộo]i\s+b[ộo]", r"b[êe]n\s+trong", "ẩn", r"nguy[êe]n\s+v[ăa]n", r"t[ừu]ng\s+ch[ữu]", "thô",
               r"chi\s+ti[ếe]t\s+nh[ấa]t", r"kh[ôo]ng\s+(?:l[ưu][ợo]c\s+b[ớo]t|t[óo]m\s+t[ắa]t)"),
          _VI_TRACE, 4),
    _wthen(_VI_TRACE, _alt(r"đ[ầa]y\s+đ[ủu]", r"tr[ọo]n\s+v[ẹe]n", r"nguy[êe]n\s+v[ăa]n", r"t[ừu]ng\s+ch[ữu]",
                          r"kh[ôo]ng\s+(?:l[ưu][ợo]c\s+b[ớo]t|t[óo]m\s+t[ắa]t|b[ỏo]\s+s[óo]t)"), 6),
    _wthen(
        r"đ[ừu]ng|kh[ôo]ng\s+(?:đ[ưu][ợo]c\s+)?|ch[ớo]",
        r"b[ỏo]\s+qua|b[ỏo]\s+s[óo]t|l[ưu][ợo]c\s+b[ỏo]|t[óo]m\s+t[ắa]t|nh[ảa]y\s+c[óo]c",
        2,
    )
    + _wgap(5)
    + r"(?:b[ưu][ớo]c|suy|chi\s+ti[ếe]t|l[ậa]p\s+lu[ậa]n)",
    r"suy\s+lu[ậa]n\s+trung\s+gian|suy\s+ngh[ĩi]\s+trung\s+gian",
    _wthen(
        r"k[ểe]\s+c[ảa]|bao\s+g[ồo]m|c[ảa]\s+nh[ữu]ng",
        r"ng[õo]\s+c[ụu]t|h[ưu][ớo]ng\s+đi\s+sai|l[ầa]n\s+th[ửu]\s+(?:sai|th[ấa]t\s+b[ạa]i)|sai\s+l[ầa]m",
        5,
    ),
    _wthen(r"ti[ếe]t\s+l[ộo]|ph[ơo]i\s+b[àa]y|xu[ấa]t\s+ra|\bin\s+ra|t[áa]i\s+t[ạa]o|t[áa]i\s+hi[ệe]n", _VI_TRACE, 3),
    r"suy\s+ngh[ĩi]\s+th[àa]nh\s+ti[ếe]ng|n[óo]i\s+to\s+suy\s+ngh[ĩi]",
)

_JA_TRACE: Final = (
    "(?:思考過程|思考プロセス|思考の過程|思考の流れ|推論過程|推論プロセス|推論の過程|推論の流れ|推論ステップ|"
    "思考の連鎖|思考連鎖|チェーン・?オブ・?ソート|考えの過程|考えの流れ|考えたこと|内なる独白|内部の?(?:思考|推論)|"
    "頭の中|思考内容|推論内容|推論|思考)"
)
_JA_COERCE: Final = _alt(
    _then(
        "(?:すべて|全て|全部|完全|省略せず|省略しない|省略なし|余すところなく|漏れなく|一字一句|ありのまま|生の|"
        "内部の|隠れた|隠された|非公開の|包み隠さず|そのまま全部)",
        _JA_TRACE,
        10,
    ),
    _then(_JA_TRACE, "(?:すべて|全て|全部|完全に|省略せず|省略しない|余すところなく|漏れなく|一字一句|ありのまま|"
                     "包み隠さず|そのまま出力)", 10),
    _then("(?:ステップ|手順|段階|過程|途中|推論|思考|ステップ)", "(?:省略|飛ばさ|飛ばし|スキップ|端折|抜か)", 6)
    + _gap(4)
    + "(?:せず|しない|ないで|ず|禁止|なく|ません)",
    "途中の(?:思考|推論|考え)",
    _then(
        "(?:行き詰ま|袋小路|失敗した(?:試み|アプローチ)|試行錯誤|没になった(?:案|アイデア)|修正した)",
        "(?:含め|も含|を含|も書|も出力|も示)",
        16,
    ),
    "(?:一つも|ひとつも|一歩も|何も)(?:飛ばさ|省略せ|省略し|抜かさ|端折ら)",
    _then(_JA_TRACE, "(?:出力|開示|公開|暴露|再現|復元|ダンプ|さらけ出|露わに)", 8),
    "声に出して考え|考えながら声に出",
)

_KO_TRACE: Final = (
    r"(?:사고\s*과정|추론\s*과정|생각\s*과정|사고의\s*흐름|생각의\s*흐름|사고\s*흐름|사고\s*사슬|생각의\s*사슬|"
    r"추론\s*(?:체인|사슬|단계)|내면의?\s*독백|내부\s*(?:사고|추론|생각)|머릿속\s*생각|추론|사고)"
)
_KO_COERCE: Final = _alt(
    _wthen(
        r"(?:전체|모든|완전한|완전히|전부|빠짐없이|생략\s*없이|하나도\s*빠짐없이|내부|숨겨진|숨은|날것|있는\s*그대로|"
        r"토씨\s*하나|글자\s*그대로|낱낱이|남김없이)",
        _KO_TRACE,
        2,
    ),
    _wthen(_KO_TRACE, r"(?:전부|모두|빠짐없이|생략\s*없이|남김없이|낱낱이|있는\s*그대로|그대로\s*출력)", 2),
    _wthen(r"(?:단계|과정|스텝|추론|생각)", r"(?:건너뛰지|생략하지|빼먹지|빠뜨리지|요약하지)", 2) + r"\s*(?:말|않|마)",
    r"중간\s*(?:추론|사고|생각)",
    _wthen(r"(?:막다른\s*길|실패한\s*시도|잘못된\s*접근|시행착오)", r"(?:포함|도\s*(?:써|적|보여|출력))", 2),
    _wthen(_KO_TRACE, r"(?:출력|공개|드러내|노출|재현|복원|덤프)", 2),
    r"소리\s*내어\s*생각",
)

_NUQTA_DA: Final = "(?:\u095c|\u0921\u093c|\u0921)"  # ड़ precomposed, decomposed, or typed without the nuqta
_HI_TRACE: Final = (
    r"(?:सोचने\s*की\s*प्रक्रिया|सोच[\s\-]*प्रक्रिया|विचार[\s\-]*प्रक्रिया|चिंतन[\s\-]*प्रक्रिया|तर्क[\s\-]*प्रक्रिया|"
    r"विचार[\s\-]*श्रृंखला|विचार[\s\-]*शृंखला|तर्क[\s\-]*श्रृंखला|चेन\s*ऑफ\s*थॉट|आंतरिक\s*(?:सोच|विचार|तर्क|एकालाप)|तर्क|सोच|रीज़निंग|रीजनिंग|"
    r"थॉट\s*प्रोसेस)"
)
_HI_COERCE: Final = _alt(
    _wthen(
        r"(?:पूरी|पूरा|पूरे|संपूर्ण|सम्पूर्ण|सारी|सारा|सारे|समस्त|पूर्ण|आंतरिक|छिपी|छिपा|छुपी|छुपा|हर\s*एक|प्रत्येक|"
        r"शब्दशः|ज्यों\s*का\s*त्यों|कच्ची|कच्चा|बिना\s*(?:कुछ\s*)?(?:छो" + _NUQTA_DA + r"े|काटे))",
        _HI_TRACE,
        2,
    ),
    _wthen(r"(?:कदम|चरण|स्टेप)", r"(?:मत|न|ना|बिना)\s*छो", 2),
    _wthen(r"बिना", r"(?:कदम|चरण|स्टेप)", 2) + _wgap(1) + "छो",
    r"मध्यवर्ती\s*(?:तर्क|विचार|सोच)",
    _wthen(r"(?:सहित|शामिल|समेत)", r"(?:गलत\s*(?:प्रयास|रास्त)|असफल\s*प्रयास|अंधी\s*गली)", 3),
    _wthen(r"(?:गलत\s*(?:प्रयास|रास्त)|असफल\s*प्रयास|अंधी\s*गली)", r"(?:सहित|शामिल|समेत|भी)", 3),
    _wthen(_HI_TRACE, r"(?:प्रकट|उजागर|आउटपुट|प्रिंट|हूबहू)", 3),
    r"(?:ज़|ज़|ज)ोर\s*से\s*सोच",
)

_AR_TRACE: Final = (
    r"(?:سلسل[ةه]\s*(?:ال)?(?:[اأ]فكار|تفكير|استدلال|منطق)|عملي[ةه]\s*(?:ال)?(?:تفكير|استدلال)|مسار\s*(?:ال)?تفكير|"
    r"طريق[ةه]\s*(?:ال)?تفكير|تفكير|استدلال|[اأ]فكار(?:ك)?\s*الداخلي[ةه]|حوار(?:ك)?\s*الداخلي|مونولوج)"
)
_AR_COERCE: Final = _alt(
    _wthen(r"(?:كامل|بالكامل|الكامل[ةه]?|الداخلي[ةه]?|المخفي[ةه]?|الخفي[ةه]?|حرفي|الخام|دون\s*(?:حذف|اختصار|تلخيص|[إا]غفال)|"
          r"بدون\s*(?:حذف|اختصار|تلخيص))", _AR_TRACE, 2),
    _wthen(_AR_TRACE, r"(?:كامل|بالكامل|الكامل[ةه]?|الداخلي[ةه]?|المخفي[ةه]?|حرفي|دون\s*(?:حذف|اختصار|تلخيص)|"
                     r"بدون\s*(?:حذف|اختصار|تلخيص))", 2),
    r"(?:كل|جميع)\s*(?:[اأ]فكارك|تفكيرك|استدلالك|خطوات\s*تفكيرك)",
    _wthen(
        r"(?:لا|دون|بدون|من\s*غير)\s*(?:تتخط[ىي]?|تتجاوز|تحذف|تهمل|تغفل|تختصر|تلخص|تخطي|تجاوز|حذف|[إا]همال|اختصار)",
        r"(?:خطو[ةه]|خطوات|مرحل[ةه]|تفكير|استدلال)",
        2,
    ),
    r"(?:الاستدلال|التفكير)\s*الوسيط|الأفكار\s*الوسيط[ةه]",
    _wthen(r"(?:بما\s*في\s*ذلك|حتى)", r"(?:الطرق\s*المسدود[ةه]|المحاولات\s*الفاشل[ةه]|الطرق\s*الخاطئ[ةه])", 3),
    _wthen(r"(?:اكشف|[اأ]ظهر|افضح|اطبع|[اأ]عد\s*(?:بناء|[إا]نشاء)|انسخ)", _AR_TRACE, 2),
    r"فكر\s*بصوت\s*(?:عال|مرتفع)",
)


# Ordinary step-by-step prompting (0.5): what evaluation harnesses, teachers and students write.
_EN_SBS: Final = r"step[\s\-‐‑–_]*by[\s\-‐‑–_]*step|one\s+step\s+at\s+a\s+time"
_EN_STEPWISE: Final = _alt(
    _wthen(
        r"\b(?:think|thinking|reason|reasoning|solve|solving|work|working|explain|explaining|answer|answering|"
        r"calculate|compute|derive|figure|analy[sz]e|approach|tackle|break|respond|proceed|go\s+through|"
        r"evaluate|deduce|let'?s|let\s+us)\b",
        _EN_SBS,
        4,
    ),
    "(?:" + _EN_SBS + r")[\s\-]+(?:solution|reasoning|explanation|answer|derivation|thinking|analysis|calculation|"
    r"breakdown|proof|manner|fashion|logic|thought|working|math|computation|justification|approach)",
    r"\(\s*step[\s\-]*by[\s\-]*step\s*\)",
    r"\bshow\s+(?:all\s+(?:of\s+)?)?(?:your|all)\s+(?:work|working|workings|calculations?|steps|math|reasoning|"
    r"thought\s+process|thinking|logic|derivation)\b",
    r"\bshow\s+the\s+(?:work|working|calculations?|derivation)\b",
    r"\b(?:explain|describe|walk\s+(?:me\s+)?through|outline|share|detail|clarify|provide|give|tell\s+me)\s+(?:me\s+)?"
    r"your\s+(?:[a-z\-]+\s+)?(?:reasoning|thinking|thought\s+process|logic|rationale)\b",
    r"\b(?:explain|justify)\s+your\s+(?:answer|choice|response|solution|approach|steps)\b",
    r"\bhow\s+(?:did\s+)?you\s+(?:got|get|arrived?|reach(?:ed)?|came|come|derived?)\s+(?:at\s+|to\s+)?(?:that|this|the|"
    r"your)\s+(?:answer|conclusion|result|solution)",
    r"\b(?:let'?s|let\s+us)\s+(?:think|reason|work)\s+(?:about\s+(?:this|it)\s+)?(?:step|carefully|through|logically|"
    r"this\s+(?:out|through)|it\s+(?:out|through))",
    r"\bthink\s+(?:very\s+)?(?:carefully|logically|methodically|systematically)\s+(?:before|and|step|about\s+(?:this|the"
    r"\s+(?:problem|question)))",
    r"\bthink\s+(?:it\s+|this\s+)?through\s+(?:carefully|step|before)",
    r"\bthink\s+(?:about\s+it\s+)?before\s+(?:you\s+)?answer",
    r"\breason\s+(?:through|about)\s+(?:this|it|the\s+problem)|\breason\s+carefully",
    r"\b(?:provide|give|include|with)\s+(?:a\s+|an\s+)?(?:brief\s+|short\s+|clear\s+|detailed\s+)?(?:explanation|"
    r"justification|rationale)\s+(?:for|of)\s+(?:your|each|the)\s+(?:answer|choice)",
    r"\b(?:use|using|with|apply|applying|via|employ)\s+(?:a\s+|the\s+)?chain[\s\-]*of[\s\-]*thoughts?",
    r"\b(?:show|include|write\s+(?:out|down))\s+(?:all\s+)?(?:the\s+|your\s+)?intermediate\s+(?:steps|calculations)",
    r"\bevery\s+step\s+of\s+(?:your|the)\s+(?:solution|reasoning|calculation|derivation)",
    r"\b(?:explain|justify|show)\s+(?:each|every)\s+step\b",
)
_ZH_STEPWISE: Final = _alt(
    "一步一?步(?:地)?(?:思考|推理|分析|解答|计算|計算|推导|推導|解释|解釋|求解|说明|說明|来|來|想|解|算|回答|做)",
    "逐步(?:思考|推理|分析|解答|计算|計算|推导|推導|解释|解釋|求解|说明|說明|解决|解決|回答)",
    "分步(?:骤|驟)?(?:解答|计算|計算|求解|说明|說明|解释|解釋|思考|推理|分析|回答)",
    "解题(?:过程|步骤|思路)|解題(?:過程|步驟|思路)",
    "(?:推理|思考|计算|計算|求解|推导|推導)(?:过程|過程|步骤|步驟)",
    "(?:写出|寫出|展示|说明|說明|解释|解釋|列出|附上)(?:你的|详细的?|詳細的?)?(?:理由|思路|推理|依据|依據)",
    "让我们(?:一起)?(?:来)?(?:思考|想一想|一步)|讓我們(?:一起)?(?:來)?(?:思考|想一想|一步)",
    "先思考(?:再|后|後|然后|然後)",
    "请详细解释|請詳細解釋|说明理由|說明理由|解释原因|解釋原因|思维链|思維鏈",
)
_RU_SBS: Final = r"пошагово|шаг\s+за\s+шагом|по\s+шагам|поэтапно"
_RU_VERB: Final = "рассужда|дума|реша|реши|объясн|подума|размышля|анализир|посчита|вычисл|распиш|разбер|разбир|решите"
_RU_STEPWISE: Final = _alt(
    "пошагов" + _CYR + r"\s+(?:решени|рассуждени|объяснени|анализ|вычислени|разбор)",
    _wnear(_RU_VERB, _RU_SBS, 4),
    r"давай(?:те)?\s+(?:подумаем|рассуждать|порассуждаем|разбер[её]мся|рассуждим)",
    r"(?:объясни|объясните|обоснуй|обоснуйте|поясни|поясните)\s+(?:сво" + _CYR + r"\s+|ваш" + _CYR + r"\s+)?"
    r"(?:ответ|решение|рассуждени|ход|логик|выбор)",
    r"(?:покажи|покажите|приведи|приведите|распиши|распишите)\s+(?:сво[её]\s+|полное\s+|подробное\s+)?(?:решение|ход\s+"
    r"решения|вычисления)",
    r"ход\s+решения|подробн" + _CYR + r"\s+решени",
)
_ES_PT_IT_SBS: Final = r"paso\s+a\s+paso|passo\s+a\s+passo|passo\s+(?:dopo|per)\s+passo|passo\s+passo"
_ES_PT_IT_STEPWISE: Final = _alt(
    _wnear(
        r"\b(?:piensa|pensemos|pensar|razona|razonemos|razonar|resuelve|resolver|explica|expl[ií]came|calcula|analiza|"
        r"responde|desarrolla|procede|pense|vamos\s+pensar|raciocine|resolva|explique|calcule|analise|responda|"
        r"desenvolva|pensa|ragiona|ragioniamo|risolvi|spiega|spiegami|analizza|procedi|rispondi)(?:lo|la|los|las|le|"
        r"mos|emos)?\b",
        _ES_PT_IT_SBS,
        4,
    ),
    "(?:" + _ES_PT_IT_SBS + r")\s+(?:la\s+|a\s+|el\s+|o\s+|il\s+)?(?:soluci[oó]n|razonamiento|explicaci[oó]n|"
    r"resoluci[oó]n|an[aá]lisis|solu[çc][ãa]o|racioc[ií]nio|explica[çc][ãa]o|resolu[çc][ãa]o|soluzione|"
    r"ragionamento|spiegazione)",
    r"\bmuestra\s+(?:todo\s+)?(?:tu|el|su)\s+(?:trabajo|procedimiento|razonamiento|desarrollo|c[aá]lculos?)",
    r"\bexplica\s+(?:tu|el|su)\s+razonamiento|\bjustifica\s+(?:tu|su)\s+respuesta",
    r"\bmostre\s+(?:o\s+|a\s+)?(?:seu\s+|sua\s+)?(?:trabalho|racioc[ií]nio|c[aá]lculos?|desenvolvimento|resolu[çc][ãa]o)",
    r"\bexplique\s+(?:o\s+)?seu\s+racioc[ií]nio|\bjustifique\s+(?:a\s+)?sua\s+resposta",
    r"\bmostra(?:mi)?\s+(?:il\s+(?:tuo\s+)?(?:procedimento|ragionamento|lavoro)|i\s+(?:tuoi\s+)?(?:passaggi|calcoli))",
    r"\bspiega(?:mi)?\s+il\s+(?:tuo\s+)?ragionamento|\bgiustifica\s+la\s+(?:tua\s+)?risposta",
)
_FR_SBS: Final = r"[ée]tape\s+par\s+[ée]tape|\bpas\s+[àa]\s+pas"
_FR_STEPWISE: Final = _alt(
    _wnear(
        r"r[ée]fl[ée]chi|raisonn|r[ée]sou|expliqu|calcul|analys|proc[èée]d|d[ée]taill|r[ée]pond|d[ée]montr", _FR_SBS, 4
    ),
    r"\b(?:d[ée]taill|montr)\w*\s+(?:tes|vos)\s+calculs",
    r"\bmontre[zs]?\s+(?:ton|votre|tes|vos|le|les)\s+(?:travail|raisonnement|calculs|d[ée]marche|[ée]tapes)",
    r"\bexplique[zs]?\s+(?:ton|votre)\s+(?:raisonnement|d[ée]marche|r[ée]ponse|logique)",
    r"\bjustifie[zs]?\s+(?:ta|votre)\s+r[ée]ponse",
)
_DE_SBS: Final = r"schritt\s+f[üu]r\s+schritt|schrittweise"
_DE_STEPWISE: Final = _alt(
    _wnear(r"denk|[üu]berleg|l[öo]s|erkl[äa]r|rechn|analysier|begr[üu]nd|argumentier|vorgehen|geh", _DE_SBS, 4),
    "(?:" + _DE_SBS + r")\s*(?:e\s+)?(?:l[öo]sung|erkl[äa]rung|herleitung|rechnung|analyse|begr[üu]ndung)",
    r"rechenweg|l[öo]sungsweg",
    r"\bzeige?\s+(?:deine|ihre|die)\s+(?:arbeit|rechnung|schritte|[üu]berlegungen)",
    r"\berkl[äa]re?\s+(?:deine|ihre|die)\s+(?:[üu]berlegung|begr[üu]ndung|argumentation|gedankeng|l[öo]sung|antwort)",
    r"\bbegr[üu]nde?\s+(?:deine|ihre)\s+antwort",
    r"\bdenk(?:e|en\s+wir)?\s+(?:sorgf[äa]ltig|gr[üu]ndlich)\s+nach",
)
_TR_SBS: Final = r"ad[ıi]m\s+ad[ıi]m"
_TR_STEPWISE: Final = _alt(
    _wnear(r"d[üu][şs][üu]n|[çc][öo]z|a[çc][ıi]kla|hesapla|analiz|ilerle|akıl\s+yürüt", _TR_SBS, 4),
    r"(?:ak[ıi]l\s+y[üu]r[üu]tmeni|mant[ıi][ğg][ıi]n[ıi]|gerek[çc]eni|d[üu][şs][üu]nce\s+s[üu]recini)\s+a[çc][ıi]kla",
    r"(?:[çc][öo]z[üu]m[üu]n[üu]|i[şs]lemleri(?:ni)?|[çc]al[ıi][şs]man[ıi])\s+g[öo]ster",
)
_VI_STEPWISE: Final = _alt(
    _wnear(r"suy\s+ngh[ĩi]|gi[ảa]i|t[íi]nh|ph[âa]n\s+t[íi]ch|l[ậa]p\s+lu[ậa]n|suy\s+lu[ậa]n|tr[ảa]\s+l[ờo]i",
          r"t[ừu]ng\s+b[ưu][ớo]c", 5),
    r"(?:gi[ảa]i\s+th[íi]ch|tr[ìi]nh\s+b[àa]y)\s+(?:r[õo]\s+)?(?:l[ậa]p\s+lu[ậa]n|c[áa]ch\s+l[àa]m|l[ýy]\s+do|"
    r"c[áa]ch\s+gi[ảa]i|l[ờo]i\s+gi[ảa]i|suy\s+lu[ậa]n)",
)
_JA_STEPWISE: Final = _alt(
    "ステップバイステップ|ステップ・バイ・ステップ|段階的に(?:考え|説明|解|推論)|一歩ずつ|一つずつ順に|ステップごとに",
    "順を追って(?:考え|説明|解)|順序立てて(?:考え|説明)|途中式|解き方|考え方を(?:説明|示)|理由を(?:説明|述べ)",
    "根拠を(?:説明|示)|(?:推論|思考)(?:過程|プロセス)を(?:説明|示)|じっくり考え|よく考えてから",
)
_KO_STEPWISE: Final = (
    r"단계별로|단계적으로|차근차근|한\s*단계씩|한\s*걸음씩|단계별\s*(?:풀이|설명|해설)|풀이\s*과정|"
    r"(?:추론|사고|생각)\s*과정을\s*(?:설명|보여)|이유를\s*(?:설명|말해)|근거를\s*(?:설명|제시)|생각해\s*보자"
)
_HI_STEPWISE: Final = (
    r"चरण\s*-?\s*दर\s*-?\s*चरण|कदम\s*-?\s*दर\s*-?\s*कदम|क्रमबद्ध\s*(?:तरीके|ढंग|रूप)|स्टेप\s*बाय\s*स्टेप|"
    r"एक[\s\-]एक\s*(?:करके|कदम)|(?:अपना|अपने)\s*(?:तर्क|सोच)\s*(?:समझा|बता|स्पष्ट)|कारण\s*(?:सहित|बताएं|बताइए|समझाएं)"
)
_AR_STEPWISE: Final = (
    r"خطو[ةه]\s*ب(?:ال)?خطو[ةه]|خطو[ةه]\s*خطو[ةه]|(?:اشرح|وضح|وضّح|بين|بيّن)\s*(?:لي\s*)?(?:طريق[ةه]\s*تفكيرك|منطقك|"
    r"استدلالك|سبب\s*(?:[إا]جابتك)|خطوات\s*الحل)|فكر\s*(?:بعناي[ةه]|جيدا|بتمعن)|خطوات\s*الحل"
)

# Each language family has anchor words: every coercion or step-by-step pattern of the family contains one of them
# (the labelled examples check it). Only sentences with an anchor are read further, and a family's patterns only
# read the sentences with that family's anchors: that keeps the expensive patterns off most of the text.
_COT_FAMILY_ANCHORS: Final = {
    "en": _alt(
        _COT_UNIVERSAL,
        r"reason|think|thought|\bcot\b|step|monolog|(?:inner|internal)\s+dialogue|scratch|deliberat|rationale|"
        r"dead[\s\-]+ends|false\s+starts|wrong\s+turns|abandoned\s|backtracking|correction|doubts|failed\s+attempts|"
        r"discarded\s|mistakes\s+(?:you\s+)?(?:make|made)|second[\s\-]+guessing|hesitations|consciousness|cognition|"
        r"(?:however|no\s+matter\s+how)\s+(?:small|trivial|obvious|minor)|every\s+single|each\s+and\s+every|"
        r"intermediate|calculations?\b|logic\b|show\s+(?:all\s+(?:of\s+)?)?(?:your|all|the)\s+(?:work|math|derivation)|"
        r"(?:explain|justify)\s+(?:your|the)\s|how\s+(?:did\s+)?you\s+(?:got|get|arrive|reach|came|come|derive)|"
        r"let'?s\s+work|let\s+us\s+work|(?:explanation|justification)\s+(?:for|of)\s",
    ),
    "cjk": (
        "思|推理|步|过程|過程|心路|独白|獨白|环节|環節|念头|念頭|想法|死胡同|弯路|彎路|尝试|嘗試|纠正|糾正|理由|依据|依據|"
        "详细解释|詳細解釋|解释原因|解釋原因|边想|邊想|自言自语|"
        "推論|考え|頭の中|チェーン|ステップ|手順|段階|途中|行き詰ま|袋小路|失敗|試行錯誤|没になった|修正した|声に出|一歩|順|"
        "解き方|根拠|じっくり|飛ばさ|省略|抜かさ|端折"
    ),
    "other": _alt(
        r"рассужд|размышл|мысл|мышлен|шаг|этап|тупик|попытк|ошибочн|самокоррекц|отброшенн|вслух|обоснуй|поясни|"
        r"объясни|подума|пошагов|поэтапн|монолог|цепоч|разбер|ход\s+решени|подробн[а-яё]*\s+решени|(?:покажи|"
        r"покажите|приведи|приведите|распиши|распишите)\s",
        "사고|추론|생각|독백|단계|과정|스텝|막다른|실패|잘못된|시행착오|차근차근|걸음|풀이|이유|근거",
        "सोच|विचार|चिंतन|तर्क|थॉट|रीज|कदम|चरण|स्टेप|गलत|असफल|अंधी|कारण|क्रमबद्ध|एक[\\s\\-]एक",
        "تفكير|استدلال|[اأ]فكار|منطق|حوار|مونولوج|خطو|مرحل|الطرق|المحاولات|بصوت|فكر|الحل",
    ),
    "romance": (  # es, pt, it, fr
        r"razon|pensa|pensi|racioc|ragion|mon[oó]logo|deliberac|\bpaso|\bpasso|passaggi|etapa|\bstep|callejon|becos|"
        r"vicoli|intentos|tentativ|caminos|caminhos|strade|errores\s+que|erros\s+que|false\s+piste|voz\s+alta|"
        r"alta\s+voce|procedimiento|procedimento|trabajo|trabalho|lavoro|c[aá]lculos?\b|calcoli|desarrollo|"
        r"desenvolvimento|resoluci|resolu[çc]|justifi|giustifica|riflession|flusso|"
        r"raisonn|pens[ée]e|r[ée]fl[ée]|monologue|cheminement|[ée]tape|pas\s+[àa]\s+pas|calculs\b|impasse|"
        r"fausses\s+pistes|tentatives|culs?-de-sac|pistes\s+abandonn|voix\s+haute|travail|d[ée]marche|expliqu"
    ),
    "de_tr_vi": (
        r"denk|gedank|[üu]berleg|argumentation|reasoning|schritt|sackgass|irrweg|fehlversuch|verworfen|holzweg|"
        r"\blaut\b|rechenweg|l[öo]sungsweg|rechnung|begr[üu]nd|erkl[äa]r|herleitung|"
        r"d[üu][şs][üu]n|ak[ıi]l|muhakeme|i[çc]\s+ses|ad[ıi]m|a[şs]ama|detay|[çc][ıi]kmaz|ba[şs]ar[ıi]s[ıi]z|yanl[ıi][şs]|"
        r"vazge[çc]|a[çc][ıi]kla|g[öo]ster|gerek[çc]e|mant[ıi]|hi[çc]\s?bir|"
        r"suy\s+(?:ngh|lu)|t[ưu]\s+duy|l[ậa]p\s+lu|đ[ộo]c\s+tho|b[ưu][ớo]c|ng[õo]\s+c[ụu]t|h[ưu][ớo]ng\s+đi|thử|"
        r"sai\s+l[ầa]m|gi[ảa]i|tr[ìi]nh\s+b[àa]y|c[áa]ch\s+l[àa]m|l[ýy]\s+do"
    ),
}
_COT_ANCHORS: Final = _alt(*_COT_FAMILY_ANCHORS.values())
# One regex per group of languages: a single alternation of all fourteen outgrows RE2's DFA cache and runs a
# thousand times slower. Each group reads only the sentences with its families' anchors.
_COT_COERCE_GROUPS: Final = (
    (_alt(_COT_UNIVERSAL, _EN_COERCE), ("en",)),
    (_alt(_ZH_COERCE, _JA_COERCE), ("cjk",)),
    (_alt(_RU_COERCE, _KO_COERCE, _HI_COERCE, _AR_COERCE), ("other",)),
    (_alt(_ES_PT_COERCE, _IT_COERCE, _FR_COERCE), ("romance",)),
    (_alt(_DE_COERCE, _TR_COERCE, _VI_COERCE), ("de_tr_vi",)),
)
_COT_STEPWISE_GROUPS: Final = (
    (_EN_STEPWISE, ("en",)),
    (_alt(_ZH_STEPWISE, _JA_STEPWISE), ("cjk",)),
    (_alt(_KO_STEPWISE, _RU_STEPWISE, _HI_STEPWISE, _AR_STEPWISE), ("other",)),
    (_alt(_ES_PT_IT_STEPWISE, _FR_STEPWISE, _DE_STEPWISE, _TR_STEPWISE, _VI_STEPWISE), ("romance", "de_tr_vi")),
)

# ---- grader_rubric -------------------------------------------------------------------------------------------

_GR_SCALE: Final = _alt(
    r"\(\s*[0-9]{1,3}\s*(?:-|–|to)\s*[0-9]{1,3}\b",
    r"\b[01]\s*(?:-|–|to)\s*(?:3|4|5|7|10|100)\b",
    r"\b(?:from|between)\s+[0-9]{1,3}(?:\.0)?\s*(?:-|–|to|and)\s*[0-9]{1,3}\b",
    r"\bout\s+of\s+(?:[0-9]{1,3}|ten|five|a\s+hundred)\b",
    r"\b[0-9]{1,3}\s*(?:-|–|to)\s*[0-9]{1,3}\s*(?:scale|points?|stars?|rating|likert)\b",
    r"\b(?:on|using|use)\s+a\s+(?:[a-z0-9\-]+\s+){0,3}scale\b",
    r"\bscale\s+(?:of|from)\s+[0-9]",
    r"/\s*(?:5|10|100)\b",
    r"\bpass\s*/\s*fail\b|\bpass\s+or\s+fail\b",
)
_GR_SCORE: Final = _alt(
    # on the same line: a quoted question may end in "?" before the scale
    r"\b(?:rate|rates|rating|score|scores|scoring|grade|grades|grading|evaluate|assess|judge|mark|rank)\b[^\n]*"
    + _GR_SCALE,
    r"\b(?:respond|reply|answer|output|return|say)\s+(?:only\s+)?(?:with\s+)?[\"']?pass[\"']?\s+or\s+[\"']?fail\b",
    r"\bon\s+a\s+(?:[a-z0-9\-]+\s+){0,2}scale\s+(?:of|from)\s+[0-9]{1,3}\s*(?:-|–|to)\s*[0-9]{1,3}\b",
    r"\b(?:give|assign|output|provide|return|produce|award|report|respond\s+with|end\s+with|include)\s+(?:me\s+)?"
    r"(?:it\s+|them\s+|each\s+(?:one\s+|response\s+|answer\s+)?)?(?:a\s+|an\s+|the\s+|your\s+)?(?:[a-z\-]+\s+){0,2}"
    r"(?:score|rating|grade|verdict|judg(?:e)?ment|reward)s?\b",
    r"\b(?:score|rating|grade|verdict|reward)\s*[:=]\s*(?:\[|\{|<|[0-9]|x\b|_|\")",
    r"\[\[\s*(?:rating|score|[0-9]+|[ab])\s*\]\]",
    r"\"(?:score|rating|grade|verdict)\"\s*:",
    r"\b(?:final|overall|numeric(?:al)?|integer)\s+(?:score|rating|verdict)\s*(?:\(|:|between|from|of\s+[0-9])",
    r"\b(?:correct|incorrect)[\"']?\s+or\s+[\"']?(?:correct|incorrect)\b",
    # zh
    "评分|評分|打分|打個分|打个分|给出分数|給出分數|分数|分數|得分|评级|評級|几分|幾分|[0-9]+\\s*分制|满分|滿分|"
    "(?:1|一)\\s*(?:-|~|到|至)\\s*(?:5|10|100|五|十)\\s*分|评定|評定|优劣|優劣|哪个更好|哪個更好|哪一个更好|哪一個更好|"
    "[“\"「]?通过[”\"」]?\\s*(?:或|还是|還是)\\s*[“\"「]?不通过|[“\"「]?正确[”\"」]?\\s*(?:或|还是|還是)\\s*[“\"「]?错误",
    # ru / es / fr / de / ja
    r"(?:оцени|оцените|поставь(?:те)?\s+(?:оценку|балл)|выстав" + _CYR + r"\s+(?:оценку|балл))"
    + _gap(None)
    + r"(?:шкал|балл|от\s+[0-9]+\s+до\s+[0-9]+)",
    r"по\s+(?:[0-9]+-?" + _CYR + r"\s+)?шкале|балл" + _CYR + r"\s*[:：]|оценк" + _CYR + r"\s*[:：]\s*[\[\d]",
    r"(?:califica|calificar|punt[úu]a|puntuar|eval[úu]a|evaluar|asigna|otorga)" + _gap(None)
    + r"(?:escala|del?\s+[0-9]+\s+al?\s+[0-9]+|sobre\s+(?:5|10|100)|puntuaci[óo]n|nota|calificaci[óo]n)",
    r"puntuaci[óo]n\s*:|calificaci[óo]n\s*:",
    r"(?:[ée]value|[ée]valuez|[ée]valuer|note[rz]?|attribue[rz]?|donne[rz]?)" + _gap(None)
    + r"(?:[ée]chelle|de\s+[0-9]+\s+[àa]\s+[0-9]+|sur\s+(?:5|10|20|100)|une\s+note|un\s+score)",
    r"(?:bewerte|bewerten|benote|benoten|vergib|vergeben)" + _gap(None)
    + r"(?:skala|von\s+[0-9]+\s+bis\s+[0-9]+|punktzahl|punkte|note)",
    r"punktzahl\s*:|bewertung\s*:\s*[\[\d]",
    r"採点|点数|スコア|[0-9]+\s*段階(?:で|評価)|[0-9]+\s*点満点|[0-9]+\s*[〜~～\-]\s*[0-9]+\s*(?:点|の)|評価(?:して|せよ|を付け)",
)
_GR_CANDIDATE: Final = _alt(
    r"\b(?:following|above|below|given|candidate|model'?s?|assistant'?s?|ai'?s?|chatbot'?s?|student'?s?|students'|"
    r"generated|submitted|two|both|each|these|those|this|provided|reference)\s+(?:[a-z\-]+\s+)?(?:responses?|answers?|"
    r"outputs?|completions?|repl(?:y|ies)|submissions?|summar(?:y|ies)|translations?|essays?|solutions?|code)\b",
    r"\b(?:answer|response|output|solution|submission|code|summary|essay)\s+to\s+(?:be\s+)?(?:review|evaluate|grade|"
    r"score|judge|assess|rate|check)",
    r"\b(?:rate|score|grade|evaluate|judge|assess|compare|critique|review)\s+(?:the|this|its|their|each|both|my)\s+"
    r"(?:[a-z\-]+\s+)?(?:responses?|answers?|outputs?|completions?|repl(?:y|ies)|submissions?|summar(?:y|ies)|"
    r"translations?|essays?|solutions?)\b",
    r"\[\s*(?:the\s+)?(?:start\s+of\s+)?(?:(?:assistant|model)'?s?\s+)?(?:response|answer|output|completion|candidate)"
    r"\s*(?:a|b|1|2)?\s*\]",
    r"<\s*(?:response|answer|output|completion|candidate)(?:_?[ab12])?\s*>",
    r"#{1,4}\s*(?:response|answer|output|candidate|completion)",
    r"(?:^|\n)\s*(?:response|answer|reply|output|completion|candidate(?:\s+answer)?|model\s+answer|assistant|solution|"
    r"submission|submitted\s+code|student\s+answer)\s*(?:a|b|1|2)?\s*:",
    r"\b(?:response|answer|output)\s+(?:a|b|1|2)\b",
    # zh
    "(?:以下|下面|下列|给定|給定|该|該|这个|這個|此|两个|兩個|模型的?|助手的?|ai的?|学生的?|學生的?|候选|候選)的?"
    "(?:回答|回复|回覆|答案|输出|輸出|响应|響應|作答|解答|译文|譯文|作文)",
    "(?:对|對|为|為|给|給)(?:以下|下面|这个|這個|该|該)?(?:回答|回复|回覆|答案|输出|輸出)",
    "(?:回答|回复|答案|输出)\\s*(?:a|b|1|2|一|二)\\s*[:：]|【(?:回答|回复|答案|输出|回覆)|\\[(?:回答|回复|答案|输出)|"
    "(?:^|\\n)\\s*(?:回答|回复|答案|输出)[:：]",
    # ru / es / fr / de / ja
    r"ответ" + _CYR + r"\s+(?:модели|ассистента|ии|студента|ученика|кандидата|бота)|(?:следующ|приведенн|приведённ|"
    r"данн)" + _CYR + r"\s+ответ|ответ\s*(?:а|б|1|2)\s*[:：]|\[ответ|(?:^|\n)\s*ответ\s*[:：]",
    r"(?:la\s+)?(?:siguiente|esta)\s+respuesta|respuesta\s+(?:del\s+(?:modelo|asistente|estudiante|alumno)|candidata|"
    r"generada)|respuesta\s*(?:a|b|1|2)\s*:|\[respuesta",
    r"(?:r[ée]ponse|sortie)\s+(?:suivante|ci-dessous|du\s+(?:mod[èe]le|assistant|candidat|[ée]l[èe]ve|[ée]tudiant))|"
    r"r[ée]ponse\s*(?:a|b|1|2)\s*:|\[r[ée]ponse",
    r"(?:folgende|untenstehende|obige)\s+antwort|antwort\s+des\s+(?:modells|assistenten|sch[üu]lers|studenten|"
    r"kandidaten)|antwort\s*(?:a|b|1|2)\s*:|\[antwort",
    "(?:以下|次|下記|この|モデル|アシスタント|学生|生徒)の(?:回答|応答|出力|解答|返答)|(?:回答|応答|出力)\\s*(?:a|b|1|2)"
    "\\s*[:：]|【(?:回答|応答)|\\[(?:回答|応答)",
)
_GR_RUBRIC: Final = _alt(
    r"\brubrics?\b",
    r"\b(?:evaluation|scoring|grading|judging|assessment|rating|marking)\s+(?:criteria|guidelines?|instructions|"
    r"standards?|scale|scheme|rules)\b",
    r"\bcriteri(?:a|on)\b",
    r"\b(?:helpfulness|harmlessness|honesty|relevance|coherence|fluency|factuality|faithfulness|correctness|accuracy|"
    r"conciseness|completeness|clarity)\s*(?:,|and|:|/)\s*(?:[a-z]+\s*(?:,|and|/)\s*)*(?:helpfulness|harmlessness|"
    r"honesty|relevance|coherence|fluency|factuality|faithfulness|correctness|accuracy|conciseness|completeness|clarity)",
    "评分标准|評分標準|评价标准|評價標準|评估标准|評估標準|评分细则|評分細則|评判标准|評判標準|打分标准|打分標準|"
    "评分维度|評分維度|评价维度|評價維度|评估维度|評估維度",
    "(?:准确性|準確性|相关性|相關性|流畅性|流暢性|完整性|有用性|安全性|逻辑性|邏輯性)(?:、|,|，|和)",
    r"критери" + _CYR + r"\s+оценк|рубрик",
    r"r[úu]brica|criterios\s+de\s+(?:evaluaci[óo]n|calificaci[óo]n|puntuaci[óo]n)",
    r"grille\s+d['’][ée]valuation|crit[èe]res\s+d['’][ée]valuation|bar[èe]me",
    r"bewertungskriterien|bewertungsraster|bewertungsschema|\brubrik\b",
    "評価基準|採点基準|ルーブリック|評価観点",
)
_GR_JUDGE: Final = _alt(
    r"\b(?:you\s+are|you're|act\s+as|acting\s+as|serve\s+as|play\s+the\s+role\s+of|as)\s+(?:an?\s+|the\s+)?"
    r"(?:[a-z\-]+\s+){0,2}(?:judge|grader|evaluator|rater|annotator|assessor|reward\s+model|scorer|examiner|marker|reviewer)\b",
    r"\bllm[\s\-]+as[\s\-]+a[\s\-]+judge\b",
    "你是一(?:个|個|名|位)?"
    + _gap(8)
    + "(?:评委|評委|裁判|评审|評審|评估者|評估者|评分员|評分員|评判者|評判者|打分员|阅卷)",
    "作为(?:一名|一个|一位)?" + _gap(6) + "(?:评委|裁判|评审|评估者|评分员|评判者|阅卷)",
    r"(?:ты|вы)\s+[—–-]?\s*(?:беспристрастн" + _CYR + r"\s+|строг" + _CYR + r"\s+)?(?:судья|оценщик|экзаменатор)",
    r"(?:eres|act[úu]a\s+como)\s+(?:un\s+)?(?:juez|evaluador|calificador)",
    r"(?:tu\s+es|vous\s+[êe]tes|agis\s+comme)\s+(?:un\s+)?(?:juge|[ée]valuateur|correcteur)",
    r"(?:du\s+bist|agiere\s+als|sie\s+sind)\s+(?:ein\s+)?(?:[a-zäöü]+\s+)?(?:richter|bewerter|gutachter|pr[üu]fer)",
    "(?:あなたは|として)" + _gap(10) + "(?:審査員|評価者|採点者|ジャッジ)",
)
_GR_PAIRWISE: Final = _alt(
    r"\bwhich\s+(?:of\s+(?:the|these|those)\s+(?:two\s+|following\s+|2\s+)?)?(?:responses?|answers?|outputs?|completions?|"
    r"repl(?:y|ies)|"
    r"assistants?|summar(?:y|ies)|translations?)\s+(?:(?:is|was)\s+)?(?:better|more|preferred|superior|best)",
    r"\b(?:response|answer|output|assistant|completion)\s*(?:\(?a\)?|1)\s*(?:or|vs\.?|versus|and)\s*(?:(?:response|answer|"
    r"output|assistant|completion)\s*)?(?:\(?b\)?|2)\b",
    r"\[\[a\]\]|\[\[b\]\]",
    r"\b(?:output|answer|respond\s+with|reply\s+with)\s+(?:only\s+)?[\"']?a[\"']?\s+or\s+[\"']?b[\"']?\b",
    r"\bwhich\s+(?:one\s+)?is\s+better\s*[,:]?\s*(?:\(?a\)?|response\s+a)\s+or\s+(?:\(?b\)?|response\s+b)",
    "(?:哪个|哪個|哪一个|哪一個)(?:回答|回复|回覆|答案|输出|輸出)(?:更好|更优|更優|更佳|更准确|更準確|更合适|更合適)",
    "(?:回答|回复|回覆|答案|输出)\\s*a\\s*(?:和|与|與|还是|還是|或)\\s*(?:回答|回复|回覆|答案|输出)?\\s*b",
    r"какой\s+(?:из\s+(?:двух\s+)?)?(?:ответ|вариант)" + _CYR + r"\s+лучше",
    r"(?:cu[áa]l|qu[ée])\s+(?:de\s+las\s+dos\s+)?respuestas?\s+es\s+mejor",
    r"quelle\s+(?:r[ée]ponse|sortie)\s+est\s+(?:la\s+)?meilleure",
    r"welche\s+(?:der\s+beiden\s+)?antwort\s+ist\s+besser",
    "(?:どちらの|どっちの)(?:回答|応答|出力)が(?:優れ|良い|よい|適切)",
)
# A score request or a pairwise question: the first, cheap pass.
_GR_ASKS: Final = _alt(_GR_SCORE, _GR_PAIRWISE)
# A teacher asking for a rubric to be written is not the model grading something.
_GR_WRITE_RUBRIC: Final = _alt(
    r"\b(?:write|create|design|draft|develop|make|generate|build|come\s+up\s+with|suggest|help\s+me\s+(?:write|create|"
    r"design|make))\s+(?:me\s+)?(?:a|an|some|the)\s+(?:[a-z\-]+\s+){0,4}(?:rubric|grading\s+(?:scheme|criteria|"
    r"guide)|scoring\s+(?:guide|scheme|criteria)|marking\s+scheme)",
    "(?:设计|設計|制定|编写|編寫|写|寫|帮我写|幫我寫)(?:一(?:个|份|套))?"
    + _gap(8)
    + "(?:评分标准|評分標準|评分细则|評分細則)",
)
_GR_CANDIDATE_STRONG: Final = _alt(
    r"\[\s*(?:the\s+)?(?:start\s+of\s+)?(?:(?:assistant|model)'?s?\s+)?(?:response|answer|output|completion|candidate)"
    r"\s*(?:a|b|1|2)?\s*\]",
    r"<\s*(?:response|answer|output|completion|candidate)(?:_?[ab12])?\s*>",
    r"(?:^|\n)\s*(?:response|answer|output|completion|candidate(?:\s+answer)?|model\s+answer|assistant)\s*(?:a|b|1|2)?"
    r"\s*:",
    r"\b(?:following|above|below|given|candidate|model'?s?|assistant'?s?)\s+(?:responses?|answers?|outputs?)\b",
)
#: A candidate, criteria or a judge role: what makes a score request a grading request.
_GRADED: Final = _alt(_GR_CANDIDATE, _GR_RUBRIC, _GR_JUDGE)

# ---- rewrite_request ------------------------------------------------------------------------------------------

_RW_VERB_EN: Final = _alt(
    r"\b(?:re-?writ|re-?phras|paraphras|re-?word|reformulat|re-?stat|recast|saniti[sz]|neutrali[sz]|soften|tone\s+down|"
    r"rework|revis|disguis|re-?fram)\w*",
    r"\b(?:make|turn|convert|transform|edit|change)\s+(?:it|this|that|them|these|my|the\s+following|the\s+(?:following\s+)?"
    r"(?:question|prompt|query|request|text|wording|sentence|phrase)s?)\b",
    r"\b(?:alternative|different|other|new|safer)\s+(?:phrasings?|wordings?|formulations?|versions)\b",
)
_RW_SAFE_STRONG_EN: Final = _alt(
    r"policy[\s\-]+(?:compliant|friendly|safe|abiding)",
    r"\bcompliant\s+with\s+(?:the\s+)?(?:\w+\s+)?(?:polic|guideline|rules|terms)",
    r"(?:content|usage|safety|community)\s+(?:polic|guideline|regulation|rules)",
    r"\b(?:likely\s+to\s+be|would\s+be|could\s+be|might\s+be|get|gets|getting)\s+(?:blocked|flagged|filtered|censored|"
    r"refused)",
    r"\b(?:pass|passes|bypass|avoid|evade|get\s+past|get\s+around|circumvent|not\s+trigger|without\s+triggering|slip\s+"
    r"past|dodge|escape|sneak\s+past)\s+(?:\w+\s+){0,3}(?:filters?|moderation|censor\w*|refusals?|safety|guardrails?|"
    r"detection|flag\w*|review)",
    r"\bwon'?t\s+(?:be\s+)?(?:refuse|flag|block|censor)|(?:not|never)\s+(?:be\s+)?(?:refused|flagged|blocked|censored)",
    r"\b(?:censor\w*|uncensored)\b|\b(?:less|non-?|not|in)[\s\-]?sensitive\b",
    r"\bsensitive\s+(?:[a-z\-]+\s+)?(?:questions?|query|queries|prompts?|requests?|topics?|content|wording|parts?|"
    r"words|terms|subjects?|issues?)",
    r"politically\s+(?:neutral|correct|safe|acceptable)",
    r"\b(?:safe|safer|harmless|benign|innocuous|inoffensive|sanitized|sanitised)\s+(?:[a-z\-]+\s+)?(?:version|form|"
    r"wording|phrasing|way|question|query|prompt|request|variant)",
    r"\b(?:appropriate|acceptable)\s+(?:for|to)\s+(?:an?\s+|the\s+)?(?:ai|model|assistant|chatbot|llm|filter)",
)
_RW_SAFE_WEAK_EN: Final = r"\b(?:neutral|safe|safer|harmless|benign|innocuous|inoffensive|acceptable|objective)\b"
_RW_OBJECT_EN: Final = r"\b(?:questions?|query|queries|prompts?|requests?)\b"
_REWRITE: Final = _alt(
    _then(_RW_VERB_EN, _RW_SAFE_STRONG_EN, None),
    _then(_RW_VERB_EN, _RW_OBJECT_EN, None) + _gap(None) + _RW_SAFE_WEAK_EN,
    _then(_RW_VERB_EN, _RW_SAFE_WEAK_EN, None) + _gap(None) + _RW_OBJECT_EN,
    # zh
    _near(
        "(?:改写|改寫|重写|重寫|改述|转述|轉述|换(?:一种|个|一个)(?:说法|方式|表述|问法)|換(?:一種|個|一個)(?:說法|方式|表述|問法)|"
        "重新(?:表述|措辞|措辭|组织|組織|描述)|改成|改为|改為|转换成|轉換成|变成|變成|润色|潤色|修改|包装|包裝|转化为|轉化為)",
        "(?:中性|中立|不敏感|去敏感|敏感|审查|審查|审核|審核|规避|規避|绕过|繞過|避开|避開|被拒|拒绝回答|拒絕回答|"
        "符合(?:政策|规定|規定|规范|規範|要求|内容政策|內容政策|安全)|内容政策|內容政策|无害|無害|违规|違規|"
        "安全(?:的)?(?:问题|問題|提问|提問|版本|表述|说法|說法|措辞|措辭|形式|方式|问法|問法)|过滤|過濾|屏蔽|和谐|"
        "委婉(?:的)?(?:问题|問題|提问|提問|问法|問法))",
        None,
    ),
    # ru / es / fr / de
    _near(
        r"перефразируй|перефразируйте|перепиши|перепишите|переформулируй|переформулируйте",
        r"нейтральн|безопасн|цензур|модерац|фильтр|политик" + _CYR + r"\s+(?:контента|безопасности)|чувствительн|"
        r"отказ(?:а|ом|у)?(?:[^а-яё]|$)|откаж|отказал",
        None,
    ),
    _near(
        r"\b(?:reescribe|reescriba|reformula|reformule|parafrasea|parafrasee|reescribir|reformular|reescreva|reformule)\b",
        r"neutral|segur|censura|moderaci[óo]n|filtro|pol[íi]tica|sensible|sens[íi]vel|rechaz|recus",
        None,
    ),
    _near(
        r"r[ée][ée]cri[st]|r[ée][ée]crire|reformule[rz]?|paraphrase[rz]?",
        r"neutre|\bs[ûu]re?\b|censure|mod[ée]ration|filtre|politique|sensible|refus",
        None,
    ),
    _near(
        r"umschreib|umformulier|formulier|paraphrasier|schreib" + _DE_WORD + _wgap(4) + r"\bum\b",
        r"neutral|unbedenklich|zensur|moderation|filter|richtlinie|sensibel|ablehn|abgelehnt",
        None,
    ),
)

# ---- identity_probe --------------------------------------------------------------------------------------------

_MODEL_NAMES: Final = (
    r"(?:gpt|chatgpt|openai|claude|anthropic|gemini|bard|llama|meta\s+ai|mistral|deepseek|qwen|grok|ernie|kimi|glm|"
    r"chatglm|copilot|baichuan|yi|doubao|文心一言|通义千问|通義千問|豆包|智谱|智譜|星火|混元)"
)
_IDENTITY: Final = _alt(
    r"\b(?:what|which)\s+(?:[a-z\-]+\s+){0,3}(?:model|llm|version|ai|language\s+model|chatbot|system)\s+(?:of\s+"
    r"[a-z0-9\-.]+\s+)?(?:(?:are\s+you|r\s+u|is\s+this)(?:\s*(?:[?.!,;:]|$)|\s+(?:based|built|running|powered|exactly|"
    r"really|actually|trained|made|called|from|\(|-))|am\s+i\s+(?:talking|speaking|chatting)|powers\s+you|"
    r"(?:are|is)\s+(?:you|this)\s+(?:based|built|running)|do\s+you\s+(?:run|use))",
    r"\bwho\s+(?:trained|created|made|built|developed|designed|programmed|owns|fine-?tuned|invented|coded)\s+you\b",
    r"\b(?:which|what)\s+(?:company|organi[sz]ation|lab|team|firm)\s+(?:is\s+behind\s+you|(?:trained|created|made|"
    r"built|developed|owns)\s+you|are\s+you\s+from)",
    r"\bwho\s+(?:is|are)\s+your\s+(?:creators?|developers?|makers?|owners?|parent\s+company)",
    r"\bare\s+you\s+(?:an?\s+)?(?:version\s+of\s+)?" + _MODEL_NAMES + r"\b",
    r"\b(?:are\s+you|is\s+this)\s+(?:based\s+on|built\s+on|powered\s+by|running\s+on|a\s+(?:version|fine-?tune)\s+of)",
    r"\byour\s+(?:[a-z\-]+\s+)?(?:knowledge|training(?:\s+data)?|data)\s+cut-?\s*off\b|\bcut-?\s*off\s+(?:date\s+)?(?:of\s+)?"
    r"(?:your|you)\b|\bwhen\s+is\s+your\s+(?:[a-z\-]+\s+)?cut-?\s*off",
    r"\bwhen\s+(?:were\s+you|was\s+your\s+(?:model|training))\s+(?:trained|last\s+updated|created|released)",
    r"\bhow\s+(?:recent|up[\s\-]to[\s\-]date)\s+is\s+your\s+(?:knowledge|training|data)",
    r"\b(?:what(?:'s|\s+is|\s+are)|tell\s+me|reveal|show|print|repeat|output|display|give\s+me|share|dump|leak|recite|"
    r"write\s+out|copy|paste)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?your\s+(?:[a-z\-]+\s+){0,2}(?:system\s+prompt|system\s+"
    r"message|initial\s+(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|pre-?prompt|original\s+instructions|"
    r"developer\s+(?:message|prompt)|custom\s+instructions|instructions|prompt)\b",
    r"\b(?:reveal|show|print|repeat|output|display|dump|leak|recite|write\s+out)\s+(?:me\s+)?(?:the|this)\s+(?:[a-z\-]+\s+)?"
    r"(?:system\s+prompt|system\s+message|initial\s+(?:prompt|instructions)|hidden\s+(?:prompt|instructions)|"
    r"pre-?prompt|instructions\s+above|developer\s+message)",
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+)?(?:the\s+|your\s+)?(?:previous|prior|above|earlier)\s+instructions"
    + _gap(None)
    + r"(?:prompt|instructions|who\s+you\s+are|what\s+you\s+are)",
    r"\b(?:repeat|print|output)\s+(?:the\s+|all\s+(?:the\s+)?)?(?:words|text|everything)\s+(?:above|before\s+this)",
    r"\b(?:what(?:'s|\s+is)\s+your|tell\s+me\s+your)\s+(?:model\s+name|model\s+version|name\s+and\s+version|version|"
    r"architecture|parameter\s+count|number\s+of\s+parameters|context\s+(?:window|length)|model\s+id|underlying\s+model|"
    r"base\s+model|name)\b",
    r"\bhow\s+many\s+parameters\s+(?:do\s+you\s+have|are\s+you|does\s+your\s+model)",
    r"\b(?:what|which)\s+instructions\s+(?:were\s+you|have\s+you\s+been|did\s+you\s+(?:get|receive))|\bwhat\s+were\s+you\s+"
    r"(?:told|instructed)\b",
    r"\b(?:what|which)\s+(?:ai\s+|language\s+)?model\s+(?:is\s+)?(?:serving|behind|powering|running|answering|generating)"
    r"\s+(?:this|you|me|the\s+(?:api|chat|assistant|bot|service|endpoint|replies|answers))\b",
    r"^\W*(?:hi|hello|hey)?\W*(?:who|what)\s+(?:are|r)\s+(?:you|u)\s*[?.!]",
    r"^\W*(?:hi|hello|hey)?\W*(?:who|what)\s+(?:are|r)\s+(?:you|u)\W*$",
    r"^\W*(?:please\s+)?introduce\s+yourself\W*$",
    # zh
    "你是(?:什么|什麼|哪个|哪個|哪一个|哪一個|哪家|谁家|誰家|啥)(?:公司的?|厂商的?|廠商的?)?(?:模型|大模型|语言模型|語言模型|ai|"
    "人工智能|版本|gpt|机器人|機器人)",
    "你(?:是)?(?:由|被)?(?:谁|誰|哪(?:个|個|家)公司)(?:开发|開發|训练|訓練|创造|創造|制作|製作|打造|研发|研發|创建|創建)",
    "(?:谁|誰|哪家公司|哪个公司|哪個公司)(?:开发|開發|训练|訓練|创造|創造|制作|製作|研发|研發)了你",
    "你的(?:系统提示|系統提示|系统指令|系統指令|提示词|提示詞|初始指令|知识截止|知識截止|训练数据|訓練數據|模型名称|"
    "模型名稱|底层模型|底層模型|参数量|參數量|版本号|版本號|开发者|開發者|创造者|創造者)",
    "你(?:是)?基于(?:什么|什麼|哪个|哪個)(?:模型|架构|架構)",
    "你是(?:不是)?" + _MODEL_NAMES,
    "你的知识(?:截止|更新)(?:到|于|於)|你的(?:知识|训练数据)截止(?:日期|时间)",
    "^\\W*(?:你好\\W*)?你是谁\\W*$|^\\W*(?:你好\\W*)?你是什么\\W*$|^\\W*(?:你好\\W*)?你是誰\\W*$|你叫什么名字|你叫什麼名字",
    # ru / es / fr / de / ja / ko
    r"(?:какая|что\s+ты\s+за|что\s+вы\s+за)\s+(?:ты\s+|вы\s+)?(?:модель|нейросеть|ии|языковая\s+модель)",
    r"кто\s+(?:тебя|вас)\s+(?:создал|обучил|разработал|сделал|натренировал)",
    r"(?:твой|ваш|свой)\s+системн" + _CYR + r"\s+(?:промпт|подсказк|инструкци)|на\s+какой\s+модели\s+(?:ты|вы)",
    r"дата\s+отсечения|до\s+какого\s+(?:года|времени|момента)\s+(?:твои|ваши)\s+(?:знания|данные)",
    r"\bty\s+(?:gpt|chatgpt)|\bты\s+(?:gpt|chatgpt|claude|gemini|llama|гпт|чатгпт)",
    r"qu[ée]\s+modelo\s+(?:de\s+(?:ia|lenguaje)\s+)?(?:eres|es\s+usted|usas)|qui[ée]n\s+te\s+(?:entren[óo]|cre[óo]|"
    r"desarroll[óo]|hizo)|tu\s+(?:prompt|mensaje|instrucciones?)\s+(?:del?\s+)?sistema|fecha\s+de\s+corte|"
    r"\beres\s+(?:gpt|chatgpt|claude|gemini|llama)",
    r"quel\s+mod[èe]le\s+(?:d['’]ia\s+)?(?:es-tu|êtes-vous|es\s+tu|[êe]tes\s+vous)|qui\s+t['’]a\s+(?:entra[iî]n[ée]|"
    r"cr[ée][ée]|d[ée]velopp[ée]|con[çc]u)|ton\s+(?:prompt|message)\s+syst[èe]me|date\s+limite\s+de\s+(?:tes\s+)?"
    r"connaissances|es-tu\s+(?:gpt|chatgpt|claude)",
    r"welches\s+(?:ki-?)?(?:sprach)?modell\s+bist\s+du|wer\s+hat\s+dich\s+(?:trainiert|entwickelt|erstellt|gebaut|"
    r"programmiert)|dein(?:en)?\s+system-?prompt|wissensstand|bist\s+du\s+(?:gpt|chatgpt|claude)",
    "(?:あなた|君|きみ)は(?:どの|何の|なんの|どんな)(?:モデル|ai|言語モデル)|(?:誰|どこ|どの会社)が(?:あなた|君)を"
    "(?:作|開発|訓練|学習|トレーニング)|(?:あなた|君)の(?:システムプロンプト|学習データ|知識の?カットオフ|モデル名)|"
    "あなたは(?:gpt|chatgpt|claude)",
    r"(?:너는|당신은|넌)\s*(?:어떤|무슨)\s*(?:모델|ai|언어\s*모델)|누가\s*(?:너를|당신을|널)\s*(?:만들|개발|훈련|학습)|"
    r"(?:너의|당신의|네)\s*시스템\s*프롬프트|학습\s*데이터\s*(?:기준|마감|컷오프)",
)

# ---- capability_domain -----------------------------------------------------------------------------------------

_DATA_GENERATION: Final = _alt(
    r"\b(?:synthetic|training|fine-?tuning|instruction(?:-tuning)?|seed|evaluation)\s+(?:data|dataset|examples|"
    r"samples|set|corpus)\b",
    r"\bdatasets?\b",
    r"\b(?:question[\s\-]+answer|q\s*&\s*a|qa|instruction|input[\s\-]+output|prompt[\s\-]+(?:response|completion))\s+pairs\b",
    r"\bjsonl\b",
    r"[\"']instruction[\"']\s*:|[\"']input[\"']\s*:\s*[\"'].*[\"']output[\"']\s*:",
    r"\b(?:generate|create|write|produce|come\s+up\s+with|brainstorm|synthesi[sz]e)\s+(?:me\s+)?(?:[0-9]{2,}|fifty|a\s+"
    r"hundred|hundreds\s+of|thousands\s+of|many|diverse|varied|a\s+diverse\s+set\s+of|a\s+large\s+number\s+of)\s+"
    r"(?:[a-z\-]+\s+){0,3}(?:examples|samples|instructions|questions|prompts|tasks|problems|conversations|dialogues|"
    r"records|rows|entries|data\s+points|exercises)",
    r"\bdiverse\s+(?:set\s+of\s+)?(?:instructions|prompts|tasks|questions)",
    "生成[0-9]{2,}(?:个|個|条|條|道|组|組)|数据集|數據集|训练数据|訓練數據|问答对|問答對|指令数据|指令數據|合成数据|合成數據|"
    "微调数据|微調數據",
    r"датасет|набор\s+данных|обучающ" + _CYR + r"\s+(?:данн|выборк|пример)|сгенерируй" + _CYR + r"\s+[0-9]{2,}",
    r"conjunto\s+de\s+datos|datos\s+sint[ée]ticos|jeu\s+de\s+donn[ée]es|donn[ée]es\s+synth[ée]tiques|datensatz|"
    r"trainingsdaten|データセット|学習データを(?:生成|作成)|데이터셋|학습\s*데이터\s*(?:생성|만들)",
)
# Coding: _CODING_ASCII or _CODING_OTHER, matched one after the other (see _domain): on varied text one DFA for
# both outgrows RE2's cache and runs slower than the two.
_CODING_ASCII: Final = _alt(
    r"```",
    r"`[a-z_][a-z0-9_.\[\]'\"(),]*`",
    r"\b(?:python|javascript|typescript|java|c\+\+|c#|golang|rust|kotlin|swift|php|ruby|perl|scala|haskell|matlab|"
    r"sql|mysql|postgres(?:ql)?|sqlite3?|html|css|react|vue|angular|django|flask|fastapi|node\.?js|numpy|pandas|"
    r"tensorflow|pytorch|keras|scikit|regex|regexp|bash|powershell|shell\s+script|git|github|docker|kubernetes|"
    r"api|apis|sdk|jquery|webpack|npm|pip|conda|jupyter|selenium|opencv|matplotlib|dataframe|unity|arduino)\b",
    r"\b(?:programming|coding|source\s+code|compile[rd]?|compilation|debug(?:ging)?|stack\s*trace|traceback|"
    r"syntax\s+error|runtime\s+error|segfault|null\s+pointer|exception|algorithm|data\s+structure|leetcode|unit\s+tests?|"
    r"refactor\w*|function\s+(?:that|to|which|in)|write\s+(?:a|an|the)\s+(?:[a-z]+\s+)?(?:function|program|script|class|"
    r"method|query|regex)|code\s+(?:snippet|review|that|to|for|in|below|above)|(?:the|this|my|following)\s+code|"
    r"list\s+comprehension|dictionary\s+comprehension|lambda\s+function|linked\s+list|binary\s+(?:tree|search)|"
    r"hash\s*(?:map|table)|big[\s\-]?o|command[\s\-]+line|terminal\s+command|linux\s+command|regular\s+expression)\b",
    r"\b(?:json|yaml|xml)\s+(?:file|object|schema|parser|parsing|string|array|payload|response)|\bparse\s+(?:the\s+|this\s+|a\s+)?"
    r"(?:json|yaml|xml)\b",
    r"\bdef\s+[a-z_]\w*\s*\(|\bimport\s+[a-z_]\w*|\bfrom\s+[a-z_][\w.]*\s+import\b|#include\s*<|console\.log|"
    r"system\.out|public\s+static|\bprintf\s*\(|\bprint\s*\(|=>|\breturn\s+[a-z_0-9]+;|\bvar\s+[a-z_]\w*\s*=|"
    r"\b(?:let|const)\s+[a-z_]\w*\s*=|\bselect\s+[\w*,\s]+\s+from\s+\w+|</?(?:div|span|html|body|script)\b|"
    r"[a-z_]\w*\.[a-z_]\w*\([^)]*\)|\$\s*(?:sudo|pip|npm|git|cd|ls)\b",
    # odex-style imperative data-structure questions: "sort dictionary `d` by value", "convert list of strings to ints"
    _then(
        r"\b(?:convert|sort|split|remove|get|find|check|append|concatenate|parse|iterate|extract|replace|count|merge|"
        r"filter|reverse|flatten|join|delete|insert|print|read|write|open|load|save|create|return|format|encode|decode)\b",
        r"\b(?:list|lists|dict|dictionary|dictionaries|tuple|tuples|array|arrays|string|strings|dataframe|column|columns|"
        r"keys|file|files|directory|substring|indices|characters?|bytes|unicode|utf-?8|csv|datetime|timestamp|regex)\b",
        None,
    ),
)
_CODING_OTHER: Final = _alt(
    # zh / ru / es / ja / de / fr
    "代码|代碼|编程|編程|程序|函数|函數|算法|报错|報錯|调试|調試|脚本|腳本|数组|數組|字符串|列表推导|正则表达式|正則表達式",
    r"(?:код|программ|функци|скрипт|массив|строк|список|словар|спис|файл|питон|кодировк|регулярн|столбц|датафрейм)"
    + _CYR,
    r"\b(?:c[óo]digo|programa(?:ci[óo]n|r)?|funci[óo]n|arreglo|cadena|lista|diccionario|archivo|columna|"
    r"fichier|fonction|cha[iî]ne|tableau|quellcode|funktion|programmieren|datei)\b",
    "コード|プログラム|関数|配列|文字列|リスト|辞書|ファイル|正規表現|スクリプト|データフレーム|列を|要素|整数|"
    "코드|프로그램|함수|배열|문자열|리스트|딕셔너리|파일|정규\\s*표현식|스크립트",
)
_MATH_STRONG: Final = _alt(
    r"\b(?:solve\s+(?:for|the\s+(?:equation|inequality|system))|equations?|inequalit(?:y|ies)|integral|integrate|"
    r"derivative|differentiate|theorem|prove\s+that|square\s+root|cube\s+root|logarithm|polynomial|quadratic|"
    r"algebra|geometry|trigonometry|calculus|factorial|fraction|probability|arithmetic|modulo|prime\s+numbers?|"
    r"lcm|gcd|hypotenuse|perimeter|circumference|percent(?:age)?)\b",
    r"[0-9]\s*[+*/×÷^=x]\s*[0-9(]|[0-9]\s+-\s+[0-9]|\b[a-z]\s*\^\s*[0-9]|\b[xyz]\s*=|[0-9]\s*%|\bx\s*[+\-]\s*[0-9]",
    "方程|不等式|积分|積分|导数|導數|求解|计算|計算|几何|幾何|概率|百分之|平方根|等于多少|等於多少",
    r"уравнени|вычисли|интеграл|производн|теорем|вероятност|квадратн" + _CYR + r"\s+кор",
    r"ecuaci[óo]n|calcula|integral|derivada|probabilidad|[ée]quation|calculer|int[ée]grale|d[ée]riv[ée]e|"
    r"gleichung|berechne|ableitung|wahrscheinlichkeit|equa[çc][ãa]o|方程式|計算して|確率|微分|方程式|방정식|계산|확률",
)
_MATH_QUANTITY: Final = _alt(
    r"\bhow\s+(?:many|much|long|far|old|fast|often)\b|\bsolve\b|\bwhen\s+(?:does|do|will|did)\b",
    r"\bwhich\s+(?:is|one\s+is)\s+(?:larger|bigger|smaller|greater|less|more)\b",
    r"\bwhat\s+(?:is|was|are|were|will\s+be)\s+(?:the\s+|her\s+|his\s+|their\s+)?(?:total|sum|product|average|mean|"
    r"median|area|volume|ratio|value|remainder|cost|price|profit|difference|number|amount|speed|rate|percentage)\b",
    r"\b(?:calculate|compute|find\s+the\s+(?:value|sum|number|total|area|probability))\b",
    "多少|几(?:个|個|天|元|岁|歲|小时|小時|米|次|本|只|辆|輛)|共有|一共|总共|總共|平均",
    r"сколько|найди(?:те)?\s+(?:значение|сумму|число)|реши(?:те)?\s+задач|каков[аоы]?\s|чему\s+равн",
    r"cu[áa]nt[oa]s?|combien|wie\s+(?:viele|viel)|quant[oa]s?|いくつ|何(?:個|人|円|本|日)|몇\s*(?:개|명|원)|얼마|ka[çc]",
)
_NUMBER_WORD: Final = (
    r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|hundred|"
    r"thousand|half|twice|double|triple|third|quarter|dozen)\b"
)
# two numbers, in digits or words ("two hours ... three times a week")
_TWO_NUMBERS: Final = _alt(
    r"[0-9][^0-9]+[0-9]", _NUMBER_WORD + ".*(?:[0-9]|" + _NUMBER_WORD + ")", r"[0-9].*" + _NUMBER_WORD
)
_WORD_PROBLEM: Final = (
    r"\$|\b(?:each|per|total|altogether|half|twice|times|left|remaining|spent|costs?|sold|bought|earns?|paid|pays|"
    r"more\s+than|less\s+than|fewer|dozens?|average)\b|每|一共|总共|總共|剩下|剩余|剩餘|каждый|всего|осталось"
)
_TRANSLATION: Final = _alt(
    r"\btranslat(?:e|ed|es|ing|ion)\b",
    r"\b(?:in|into|to)\s+(?:english|french|spanish|german|chinese|mandarin|japanese|korean|russian|italian|portuguese|"
    r"arabic|hindi|turkish|vietnamese|dutch|polish)\s*(?:[.:?!]|$|please)",
    r"\bhow\s+(?:do\s+you|do\s+i|to)\s+say\b",
    r"traduc|traduz|traduis|tradui[rs]|traduci|übersetz|翻译|翻譯|翻訳|번역|перевед|перевод|çevir|\bdịch\b|अनुवाद|ترجم",
    "(?:译成|譯成|翻成|英译中|中译英|英語に訳|日本語に訳)",
)
_WRITING: Final = _alt(
    r"\b(?:write|compose|draft|create|rewrite|re-?word|paraphrase|edit|proofread|polish|summari[sz]e|generate|craft|"
    r"improve)\s+(?:me\s+)?(?:a|an|the|this|my|some|two|three)?\s*(?:[a-z\-]+\s+){0,3}(?:essay|story|stories|poem|"
    r"poems|haiku|song|lyrics|letter|email|e-mail|article|blog|post|tweet|speech|script|report|review|description|bio|"
    r"biography|cover\s+letter|resume|cv|slogan|tagline|headline|paragraph|summary|outline|ad|advertisement|"
    r"caption|joke|limerick|sonnet|novel|chapter|dialogue|message|announcement|press\s+release|newsletter|"
    r"text|sentence|copy|toast|eulogy|invitation|proposal|abstract|introduction|conclusion|title)",
    r"\b(?:summari[sz]e|summary\s+of|tl;?dr|rewrite|paraphrase|proofread|essay|poem|cover\s+letter|short\s+story|"
    r"rephrase|monologue|screenplay)\b",
    r"\bcontinue\s+(?:the|this|my)\s+(?:story|poem|text|essay|dialogue|scene)\b",
    r"\b(?:fix|correct)\s+(?:the\s+|my\s+|any\s+|all\s+)?(?:typos|grammar|spelling|punctuation)\b",
    r"\bmake\s+(?:this|my|the)\s+(?:email|letter|message|text|paragraph|essay|sentence|post|bio|tweet)s?\s+(?:more|less|"
    r"sound)\b",
    "写(?:一|一篇|一首|一封|一段|一个|一份|篇|首|封)|寫(?:一|一篇|一首|一封|一段|一個|一份)|作文|文章|诗歌|詩歌|故事|邮件|"
    "郵件|改写|改寫|总结|總結|摘要|润色|潤色|文案|小说|小說|演讲稿|演講稿|概括",
    r"напиши|напишите|сочинени|эссе|стать[юи]|рассказ|стих|письмо|перескажи|перефразир|резюмир|редактир",
    r"\b(?:escribe|escriba|redacta|redacte|resume|resumen|ensayo|poema|cuento|carta|art[íi]culo|escreva|redija|resuma|"
    r"reda[çc][ãa]o|[ée]cri[st]|r[ée]dige[rz]?|r[ée]sume[rz]?|po[èe]me|lettre|dissertation|schreib\w*|verfasse|"
    r"zusammenfass\w*|gedicht|aufsatz|scrivi|riassumi|poesia|racconto|lettera|articolo|saggio|yaz|[şs]iir|hikaye|"
    r"makale|vi[ếe]t|b[àa]i\s+th[ơo]|c[âa]u\s+chuy[ệe]n)\b",
    "書いて|作成して|要約|作文|物語|メール|文章|小説|써\\s*줘|작성|요약|이야기|이메일|에세이|लिखें|लिखिए|कविता|कहानी|"
    "निबंध|اكتب|قصيدة|قصة|مقال",
)

_DOMAIN_PATTERNS: Final = {
    "data_generation": _DATA_GENERATION, "translation": _TRANSLATION, "writing": _WRITING,
}

# ---- language ---------------------------------------------------------------------------------------------------

# Byte-pair classes of UTF-8 lead bytes: one numpy pass classifies every character of a column by script.
(
    _S_OTHER, _S_LATIN, _S_HAN, _S_KANA, _S_HANGUL, _S_CYRILLIC, _S_ARABIC, _S_DEVANAGARI, _S_THAI, _S_GREEK,
    _S_HEBREW, _S_VI, _S_TR, _S_FA, _S_UK,
) = range(15)
_N_SCRIPTS: Final = 15


def _script_table() -> np.ndarray:
    t = np.zeros((256, 256), np.uint8)  # [lead byte, next byte] -> script class
    for lo, hi in ((ord("a"), ord("z")), (ord("A"), ord("Z"))):
        t[lo : hi + 1, :] = _S_LATIN
    t[0xC3, :] = _S_LATIN  # U+00C0..U+00FF: À..ÿ
    t[0xC3, 0x97] = t[0xC3, 0xB7] = _S_OTHER  # × ÷
    t[0xC4:0xCA, :] = _S_LATIN  # Latin Extended-A/B
    t[0xE1, 0xB8:0xBA] = _S_LATIN  # Latin Extended Additional (first half)
    t[0xE1, 0xBA:0xBC] = _S_VI  # U+1E80..U+1EFF: ạ ả ấ ầ ẩ ẫ ậ ... ỹ (Vietnamese)
    for b2 in (0xA0, 0xA1, 0xAF, 0xB0):  # Ơ ơ Ư ư
        t[0xC6, b2] = _S_VI
    for b2 in (0x90, 0x91, 0x82, 0x83):  # Đ đ Ă ă
        t[0xC4, b2] = _S_VI
    for lead, b2 in ((0xC4, 0x9E), (0xC4, 0x9F), (0xC5, 0x9E), (0xC5, 0x9F), (0xC4, 0xB0), (0xC4, 0xB1)):
        t[lead, b2] = _S_TR  # Ğ ğ Ş ş İ ı
    t[0xE4:0xEA, :] = _S_HAN  # U+4000..U+9FFF: CJK unified ideographs
    t[0xE3, 0x90:0xC0] = _S_HAN  # U+3400..U+3FFF: extension A
    t[0xE3, 0x81:0x84] = _S_KANA  # U+3040..U+30FF: hiragana, katakana
    t[0xEA, 0xB0:0xC0] = _S_HANGUL  # U+AC00..U+AFFF
    t[0xEB:0xED, :] = _S_HANGUL  # U+B000..U+CFFF
    t[0xED, 0x80:0x9F] = _S_HANGUL  # U+D000..U+D7FF
    t[0xD0:0xD4, :] = _S_CYRILLIC
    for lead, b2 in ((0xD1, 0x96), (0xD1, 0x97), (0xD1, 0x94), (0xD2, 0x91), (0xD0, 0x86), (0xD0, 0x87), (0xD0, 0x84),
                     (0xD2, 0x90)):
        t[lead, b2] = _S_UK  # і ї є ґ І Ї Є Ґ
    t[0xD8:0xDC, :] = _S_ARABIC
    t[0xDD, :] = _S_ARABIC
    for lead, b2 in ((0xD9, 0xBE), (0xDA, 0x86), (0xDA, 0x98), (0xDA, 0xAF), (0xDB, 0x8C), (0xDA, 0xA9)):
        t[lead, b2] = _S_FA  # پ چ ژ گ ی ک
    t[0xE0, 0xA4:0xA6] = _S_DEVANAGARI
    t[0xE0, 0xB8:0xBA] = _S_THAI
    t[0xCD, 0xB0:0xC0] = _S_GREEK
    t[0xCE:0xD0, :] = _S_GREEK
    t[0xD6, 0x90:0xC0] = _S_HEBREW
    t[0xD7, :] = _S_HEBREW
    return t.reshape(-1)


_SCRIPT_TABLE: Final = _script_table()
_LANG_SAMPLE_CHARS: Final = 400

# Latin-script stop words. A word may count for several languages; the shared ones cancel out.
_STOPWORDS: Final[dict[str, str]] = {
    "en": "the and is are was were of to in that this what how why who which when where you your yourself i my me it "
    "its for with on be can could would should do does did have has not from please write give tell make explain "
    "describe list create an or if will there their they about as at by we our he she his her than them these those "
    "any some into also just don t s hello hi thanks thank want need know get use find help introduce am",
    "es": "el los las del y que es por para con una lo se como qué cómo cuál cuáles está son pero más muy también "
    "este esta esto ese esa eso puede hay al sus su mi yo tengo quiero hola dónde cuándo porque sobre entre sin ser "
    "hacer le un en la de ella ellos nos tu sea fue han eres soy estoy estás usted ustedes algo nada todo todos "
    "cada ya aquí así sí bien quién cuánto resuelve explica escribe dime dame haz piensa responde traduce calcula "
    "crea genera muestra paso pregunta forma necesito puedes",
    "fr": "le les des du et est une pour dans qui que pas vous je tu ce cette sur avec au aux il elle ne ou mais "
    "sont comment quel quelle pourquoi très aussi être avoir peux fait faire nous leur mon ma mes ton ta qu j c "
    "l d un en la de se suis es êtes ai as avez ils elles où moi toi y résous explique écris dis fais réfléchis "
    "réponds traduis calcule crée génère montre décris étape bonjour merci",
    "de": "der die das und ist nicht ich du ein eine einen mit zu den dem von sie es wie was auf für sich auch im "
    "sind wir kann können bitte oder aber wenn dass warum welche welcher welches mein dein haben wird werden noch "
    "nur bei aus über schreibe erkläre bist bin hast habe gibt mir mich dich dir uns sein löse schreib sag mach "
    "denke antworte übersetze berechne erstelle zeige beschreibe schritt hallo danke",
    "pt": "o os as um uma não é do da dos das em no na nos nas você vocês com que para como isso isto essa esse mais "
    "por mas se ao aos à às pelo pela meu minha seu sua são está estão ser ter tem têm qual porque também muito eu "
    "ele ela eles elas quais de seja já só então onde quando quem quanto fazer pode posso quero preciso depois "
    "resolva explique escreva diga faça pense responda traduza calcule crie gere mostre descreva passo olá obrigado "
    "vamos",
    "it": "il lo gli di che è e la le per un una non sono con del della dei delle nel nella come questo questa mi "
    "ho si anche ma cosa perché quale quali sei ha al alla puoi essere fare ciao molto più l d i ad ogni tuo tua "
    "tuoi mio mia suo sua quando dove chi risolvi spiega scrivi dimmi fai pensa rispondi traduci calcola crea "
    "genera mostra descrivi ragiona passo grazie",
    "tr": "ve bir bu için ile da de ne nasıl mi mı mu mü çok daha olarak gibi ama var yok ben sen şu her nedir "
    "neden hangi kadar sonra önce değil olan veya ya bana benim lütfen nelerdir midir çöz açıkla yaz söyle yap "
    "düşün cevapla çevir hesapla oluştur göster adım merhaba teşekkürler",
    "vi": "và của là có không những được cho một các tôi bạn này với trong để người khi như thì làm gì sao nào "
    "hãy về cũng đã sẽ ra vào nhiều giải viết nói suy trả dịch tính tạo bước xin chào",
}
# Letters that only some Latin-script languages use: each one found adds to their score.
_LETTER_CUES: Final[dict[str, str]] = {
    "es": "[ñ¿¡]", "fr": "[œêîûëïù]|ç[aou]", "de": "[ßä]", "pt": "[ãõ]|ç[ãõ]", "it": "[òì]", "tr": "[ğşı]",
}
_LATIN_LANGS: Final = tuple(_STOPWORDS)
# Words only English uses (no "an", "was", "will", "die", "per": German, Italian or Spanish use them too) ...
_EN_ONLY_WORDS: Final = (
    r"\b(?:the|and|is|are|were|of|to|that|this|what|how|why|who|which|when|where|you|your|my|it|its|for|with|can|"
    r"could|would|should|does|did|have|has|not|from|please|write|give|tell|make|explain|describe|list|create|or|if|"
    r"there|their|they|about|at|by|we|our|he|she|his|her|than|them|these|those|any|some|into|also|just)\b"
)
# ... and frequent words English does not use.
_NOT_EN_WORDS: Final = (
    r"(?:^|[^\pL])(?:el|los|las|del|que|es|por|para|con|una|der|das|und|ist|nicht|ich|le|les|des|et|est|une|pour|dans|"
    r"qui|não|é|um|uma|il|di|che|è|della|ve|bir|bu|için|ile|và|của|là|không|những|được)(?:[^\pL]|$)"
)
# Two English-only words, i.e. ``count_substring_regex(_EN_ONLY_WORDS) >= 2`` as one match that can stop early:
# each counted match is a whole ASCII word (\b on both sides of letters), so two of them are two distinct words,
# one after the other, which is what this pattern finds.
_TWO_EN_ONLY_WORDS: Final = _EN_ONLY_WORDS + r"[\s\S]*" + _EN_ONLY_WORDS
_WORDS: Final = sorted({w for words in _STOPWORDS.values() for w in words.split()})
_WORD_VALUES: Final = pa.array(_WORDS, pa.string())
_WORD_WEIGHTS: Final = np.array(
    [[1.0 if w in set(_STOPWORDS[lang].split()) else 0.0 for lang in _LATIN_LANGS] for w in _WORDS], np.float32
)


# --------------------------------------------------------------------------------------------------------------
# Preparation shared by all signals
# --------------------------------------------------------------------------------------------------------------


def _as_string_array(prompts: PromptArray) -> pa.Array:
    if isinstance(prompts, pa.ChunkedArray):
        prompts = prompts.combine_chunks() if prompts.num_chunks != 1 else prompts.chunk(0)
    if not isinstance(prompts, pa.Array):
        raise TypeError(f"expected a pyarrow Array or ChunkedArray of strings, got {type(prompts).__name__}")
    if pa.types.is_dictionary(prompts.type):
        prompts = prompts.dictionary_decode()
    if not pa.types.is_string(prompts.type):
        if not (pa.types.is_large_string(prompts.type) or pa.types.is_null(prompts.type)
                or pa.types.is_string_view(prompts.type)):
            raise TypeError(f"expected strings, got an array of {prompts.type}")
        prompts = prompts.cast(pa.string())
    return pc.fill_null(prompts, "")


def _last_chars(text: pa.StringArray, n: int) -> pa.StringArray:
    """``utf8_slice_codeunits(text, -n)``, without its full scan: that slice's stop ("to the end") is counted in
    characters from the start, so it walks every row whole. Slicing ``(-n - 1, -1)`` of the row with one character
    appended walks back from the end only, and gives the same characters (the whole row when it is shorter)."""
    if n <= 0:
        return pc.utf8_slice_codeunits(text, -n)
    return pc.utf8_slice_codeunits(pc.binary_join_element_wise(text, "\n", ""), -n - 1, -1)


def _cut(text: pa.StringArray, head: int, tail: int, chars: np.ndarray | None = None) -> pa.StringArray:
    """Rows longer than ``head + tail`` characters become their first ``head`` and last ``tail`` characters.
    ``chars``: each row's length in characters, when the caller knows it already."""
    if chars is None:
        chars = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    long = chars > head + tail
    if not long.any():
        return text
    mask = pa.array(long)
    cut = text.filter(mask)
    joined = pc.binary_join_element_wise(pc.utf8_slice_codeunits(cut, 0, head), _last_chars(cut, tail), "\n")
    return pc.replace_with_mask(text, mask, joined)


def prompt_window(prompts: PromptArray, chars: int = WINDOW_CHARS) -> pa.StringArray:
    """The part of each prompt the classifiers read: the whole prompt, or its first and last ``chars`` characters.

    Nulls become empty strings. A prompt longer than ``2 * chars`` is cut to ``head + "\\n" + tail``.
    """
    return _cut(_as_string_array(prompts), chars, chars)


class _Prepared:
    """One batch of prompts made ready for the classifiers; the costlier views are built on first use.

    Identical prompts are read once: ``text`` and ``lower`` hold each distinct prompt of the batch once (resent
    prompts and templates make a large part of real traffic), ``rows`` is the number of rows of the batch and
    :meth:`expand` maps a per-distinct-prompt result back to one value per row.
    """

    def __init__(self, prompts: PromptArray) -> None:
        if isinstance(prompts, pa.ChunkedArray) and prompts.num_chunks == 1:
            prompts = prompts.chunk(0)
        self.inverse: np.ndarray | None = None  # row -> index of its distinct prompt (None: all distinct)
        if (isinstance(prompts, pa.DictionaryArray) and prompts.null_count == 0
                and len(prompts.dictionary) <= len(prompts)):
            # Encoded already (request_signals encodes the prompts once for its hashes too): every signal is a
            # function of the prompt's text alone, so reading each dictionary value once and mapping the results
            # through the indices gives what decoding and encoding again would (a repeated or unused dictionary
            # value only costs time).
            self.rows = len(prompts)
            self.inverse = prompts.indices.to_numpy(zero_copy_only=False)
            prompts = _as_string_array(prompts.dictionary)
        else:
            prompts = _as_string_array(prompts)
            self.rows = len(prompts)
            if self.rows > 1:
                encoded = pc.dictionary_encode(prompts)
                if len(encoded.dictionary) < self.rows:
                    prompts = encoded.dictionary
                    self.inverse = encoded.indices.to_numpy(zero_copy_only=False)
        #: Length of each distinct prompt in characters.
        self.chars: np.ndarray = pc.utf8_length(prompts).to_numpy(zero_copy_only=False)
        self.text = _cut(prompts, WINDOW_CHARS, WINDOW_CHARS, self.chars)  # the window, original case
        self.lower = pc.utf8_lower(self.text)  # the window, lower-cased
        self._scripts: np.ndarray | None = None
        self._short: pa.StringArray | None = None

    @property
    def scripts(self) -> np.ndarray:
        """Characters per script class in the first _LANG_SAMPLE_CHARS of each distinct prompt: (n, _N_SCRIPTS)."""
        if self._scripts is None:
            self._scripts = _script_counts(pc.utf8_slice_codeunits(self.text, 0, _LANG_SAMPLE_CHARS))
        return self._scripts

    @property
    def short(self) -> pa.StringArray:
        """The lower-cased window cut to its first 1,000 and last 500 characters (what the domain reads)."""
        if self._short is None:
            # The window's length in characters, known without counting: a cut prompt's window is its first and
            # last WINDOW_CHARS characters and a newline. utf8_lower maps each character to one character, so
            # the lower-cased window has that length too.
            window_chars = np.minimum(self.chars, 2 * WINDOW_CHARS + 1)
            self._short = _cut(self.lower, 1000, 500, window_chars)
        return self._short

    def expand(self, values: np.ndarray) -> np.ndarray:
        """One value per distinct prompt -> one value per row."""
        return values if self.inverse is None else values[self.inverse]

    def any_row(self, mask: np.ndarray) -> np.ndarray:
        """One bool per row -> one per distinct prompt: whether any of its rows is True."""
        if self.inverse is None:
            return mask
        return np.bincount(self.inverse[mask], minlength=len(self.text)) > 0


_cache: tuple[object, _Prepared] | None = None


def _prepare(prompts: PromptArray) -> _Prepared:
    """Window and lower-case once; reuse the result when the same array object comes back (one entry).

    The entry is one tuple, read and replaced atomically, so threads never see half of one; holding a reference
    to the array keeps its id from being reused by another object.
    """
    global _cache
    cached = _cache
    if cached is not None and cached[0] is prompts:
        return cached[1]
    prepared = _Prepared(prompts)
    _cache = (prompts, prepared)
    return prepared


def _match(lower: pa.Array, pattern: str) -> np.ndarray:
    return pc.match_substring_regex(lower, pattern).to_numpy(zero_copy_only=False)


# --------------------------------------------------------------------------------------------------------------
# The signals
# --------------------------------------------------------------------------------------------------------------


def cot_elicitation(prompts: PromptArray) -> pa.FloatArray:
    """``cot_elicitation``: does the prompt make the model write out its reasoning? float32, one per row.

    1.0 (reasoning-trace coercion): asks to reveal, output, reconstruct or transcribe the full / complete /
    internal / hidden / raw chain of thought or thinking process, verbatim or "in full"; "every single step,
    don't skip any"; "include all intermediate reasoning and dead ends"; "think out loud"; think inside
    ``<think>`` / ``<thinking>`` / ``<reasoning>`` tags; JSON with a ``"reasoning"`` / ``"thought_process"``
    field; in en, zh, ru, es, ja, de, fr, ko, pt, ar, hi, it, tr and vi.

    0.5 (ordinary step-by-step prompting): "let's think step by step", "solve step by step", "show your work",
    "explain your reasoning", "justify your answer", "use chain-of-thought", and their equivalents in the same
    languages. Evaluation harnesses, teachers and students write these.

    0.0 otherwise. Deliberately NOT flagged: "step" in how-to requests ("a step-by-step guide to baking bread",
    "Step 1: preheat the oven"), "can you explain why?", "share your thoughts on this film", "the reasoning
    behind the court's decision", "what is chain-of-thought prompting?", an inner monologue for a character.
    Every pattern stays inside one sentence; prompts are split into sentences and only those holding an anchor
    word of some language are read further (each distinct sentence of the batch once).
    """
    return _cot(_prepare(prompts))


def _any_match(lower: pa.Array, groups: tuple[tuple[str, tuple[str, ...]], ...], families: dict) -> np.ndarray:
    """Rows matching any group's pattern; a group reads only the rows with its families' anchors that no earlier
    group matched."""
    hit = np.zeros(len(lower), bool)
    for pattern, names in groups:
        todo = np.flatnonzero(~hit & np.logical_or.reduce([families[f] for f in names]))
        if not todo.size:
            continue
        sub = lower if todo.size == len(lower) else lower.take(pa.array(todo))
        hit[todo[_match(sub, pattern)]] = True
    return hit


def _sentences(text: pa.StringArray) -> tuple[pa.StringArray, np.ndarray]:
    """Split rows at line ends, full stops and ideographic full stops (plain splits, cheaper than a regex split):
    the pieces and the row each came from. Pieces may still hold a ! or ?, which the patterns do not cross."""
    # The separators share no character, so the cut points, and the pieces, are the same in any order of the
    # splits; the rare 。 goes first, while its pass reads the few whole rows, not the many pieces.
    parent = np.arange(len(text))
    for separator in ("。", "\n", ". "):
        pieces = pc.split_pattern(text, separator)
        parent = parent[pc.list_parent_indices(pieces).to_numpy(zero_copy_only=False)]
        text = pc.list_flatten(pieces)
    return text, parent


def _cot(p: _Prepared) -> pa.FloatArray:
    # Every pattern stays inside one sentence, so only the sentences with an anchor word are read by the expensive
    # language groups: on a long prompt that is a small part of the text.
    # Prompts repeat sentences (templates, pasted boilerplate), so each distinct sentence of the batch is read once.
    level = np.zeros(len(p.lower), np.float32)
    sentences, parent = _sentences(p.lower)
    encoded = pc.dictionary_encode(sentences)
    distinct = encoded.dictionary
    anchored = np.flatnonzero(_match(distinct, _COT_ANCHORS))
    if anchored.size:
        sub = distinct.take(pa.array(anchored))
        families = {name: _match(sub, anchors) for name, anchors in _COT_FAMILY_ANCHORS.items()}
        coerce = _any_match(sub, _COT_COERCE_GROUPS, families)
        rest = np.flatnonzero(~coerce)
        stepwise = np.zeros(len(sub), bool)
        if rest.size:
            rest_families = {k: v[rest] for k, v in families.items()}
            stepwise[rest] = _any_match(sub.take(pa.array(rest)), _COT_STEPWISE_GROUPS, rest_families)
        found = np.zeros(len(distinct), np.float32)  # per distinct sentence
        found[anchored[stepwise]] = 0.5
        found[anchored[coerce]] = 1.0
        per_sentence = found[encoded.indices.to_numpy(zero_copy_only=False)]
        hit = np.flatnonzero(per_sentence)
        np.maximum.at(level, parent[hit], per_sentence[hit])
    return pa.array(p.expand(level), pa.float32())


def grader_rubric(prompts: PromptArray) -> pa.BooleanArray:
    """``grader_rubric``: the model used as a judge or reward model. bool, one per row.

    Flags a request for a score, rating, grade or verdict (1-10, 1-5, 0-100, pass/fail, ``[[rating]]``,
    ``"score":``) together with a candidate to grade (a delimited or named response / answer / output) or
    grading criteria (a rubric, "evaluation criteria", "helpfulness, relevance and accuracy") or a judge role
    ("you are an impartial judge"); and pairwise preference questions ("which response is better, A or B?",
    ``[[A]]``). en and zh fully; ru, es, fr, de and ja for the common phrasings.

    Deliberately NOT flagged: sports scores ("what was the final score?"), "rate this movie" with no candidate
    answer or criteria, interest or heart rates, and a teacher asking for a grading rubric to be *written*
    (unless an answer to grade is also delimited in the prompt).
    """
    return _grader(_prepare(prompts))


def _grader(p: _Prepared) -> pa.BooleanArray:
    result = np.zeros(len(p.lower), bool)
    asked = np.flatnonzero(_match(p.lower, _GR_ASKS))  # one pass over everything, the rest on the few rows it finds
    if asked.size:
        sub = p.lower.take(pa.array(asked))
        pairwise = _match(sub, _GR_PAIRWISE)
        need = np.flatnonzero(~pairwise)
        if need.size:
            rest = sub.take(pa.array(need))
            # a teacher asking for a rubric to be written needs a delimited answer as well; the other rows need a
            # candidate, criteria or a judge role (one pass: on these few rows the joined pattern stays fast)
            write = _match(rest, _GR_WRITE_RUBRIC)
            graded = np.zeros(len(rest), bool)
            for rows, pattern in ((np.flatnonzero(write), _GR_CANDIDATE_STRONG),
                                  (np.flatnonzero(~write), _GRADED)):
                if rows.size:
                    graded[rows] = _match(rest if rows.size == len(rest) else rest.take(pa.array(rows)), pattern)
            pairwise[need] = graded
        result[asked] = pairwise
    return pa.array(p.expand(result), pa.bool_())


def rewrite_request(prompts: PromptArray) -> pa.BooleanArray:
    """``rewrite_request``: rewrite a (sensitive) question or text into a "safe" form. bool, one per row.

    Flags a rewrite / rephrase / paraphrase / reformulate / sanitize verb near a safety target: neutral,
    policy-compliant, harmless, non-sensitive, "so it passes the filter / avoids refusal / is not censored";
    "neutral" and "harmless" count only for a question, query, prompt or request. en and zh fully; ru, es, fr and
    de for the common phrasings.

    Deliberately NOT flagged: ordinary editing ("rewrite my cover letter", "paraphrase this paragraph", "make
    this email more polite / professional", "rewrite this in a neutral tone" for a message), and making code
    more secure ("把这段代码改写得更安全" asks for security, not a safe phrasing).
    """
    return _rewrite(_prepare(prompts))


def _rewrite(p: _Prepared) -> pa.BooleanArray:
    return pa.array(p.expand(_match(p.lower, _REWRITE)), pa.bool_())


def identity_probe(prompts: PromptArray) -> pa.BooleanArray:
    """``identity_probe``: asks the model about itself. bool, one per row.

    Flags: which model / version / LLM are you, are you GPT / Claude / Llama ..., who trained / created / built
    you, what company is behind you, your system prompt or initial instructions (and "repeat the words above"),
    your knowledge or training cutoff, your parameter count or architecture, your name; a prompt that is only
    "who are you?" or "introduce yourself". en, zh, ru, es, fr, de, ja, ko.

    Deliberately NOT flagged: "what model of car should I buy", "who trained the Olympic team", "what is a system
    prompt?" (a question about the concept, not about this model), "who are you voting for?" (only a prompt that
    is nothing but "who are you?" counts).
    """
    return _identity(_prepare(prompts))


def _identity(p: _Prepared) -> pa.BooleanArray:
    return pa.array(p.expand(_match(p.lower, _IDENTITY)), pa.bool_())


def capability_domain(
    prompts: PromptArray, tools: pa.Array | pa.ChunkedArray | None = None,
    tool_messages: pa.Array | pa.ChunkedArray | None = None,
) -> pa.DictionaryArray:
    """``capability_domain``: what kind of capability the request exercises. dictionary<int8, string> over DOMAINS.

    Precedence, first match wins:

    1. ``agentic``: tools offered (``tools > 0``) or tool results sent back (``tool_messages > 0``);
    2. ``data_generation``: asks for training / synthetic data, a dataset, instruction or Q&A pairs, JSONL, or
       dozens of examples at once ("generate 50 diverse instructions");
    3. ``coding``: code (fences, backticked identifiers, syntax) or programming vocabulary;
    4. ``math``: equations, arithmetic, mathematical terms, or a quantity question with at least two numbers in
       digits or words (a word problem);
    5. ``translation``: asks to translate, or to say something in another language;
    6. ``writing``: compose, rewrite, summarise or edit an essay, story, poem, email, article ...;
    7. ``chat``: everything else (questions, advice, conversation).

    Deliberately NOT done: telling agentic *intent* from the text alone (without tool definitions or results a
    request is classified by its words), or deciding a domain from a language (a Chinese prompt is not "chat"
    by default).
    """
    return _domain(_prepare(prompts), tools, tool_messages)


def _counts(values: pa.Array | pa.ChunkedArray | None, n: int) -> np.ndarray:
    if values is None:
        return np.zeros(n, bool)
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if len(values) != n:
        raise ValueError(f"tools / tool_messages have {len(values)} rows, prompts have {n}")
    return pc.fill_null(pc.greater(values, 0), False).to_numpy(zero_copy_only=False)


def _domain(p: _Prepared, tools: pa.Array | None, tool_messages: pa.Array | None) -> pa.DictionaryArray:
    n = len(p.lower)
    text = p.short
    code = np.full(n, DOMAINS.index("chat"), np.int8)
    agentic = _counts(tools, p.rows) | _counts(tool_messages, p.rows)
    undecided = p.any_row(~agentic)  # the distinct prompts sent at least once without tools
    for name in ("data_generation", "coding", "math", "translation", "writing"):
        todo = np.flatnonzero(undecided)
        if not todo.size:
            break
        # Patterns read each row on its own, so reading a few decided rows again (and ignoring them) gives the
        # same answers, and costs less than copying nearly all of the text out to skip them.
        whole = todo.size > 0.9 * n
        sub = text if whole else text.take(pa.array(todo))
        if name == "coding":
            # the second group reads only the rows the first did not match
            hit = _match(sub, _CODING_ASCII)
            miss = np.flatnonzero(~hit)
            if miss.size:
                hit[miss] = _match(sub.take(pa.array(miss)), _CODING_OTHER)
        elif name == "math":
            hit = _match(sub, _MATH_STRONG)
            quantity = np.flatnonzero(~hit & _match(sub, _MATH_QUANTITY))
            if quantity.size:  # a word problem: a quantity question with numbers in it
                q = sub.take(pa.array(quantity))
                hit[quantity] = _match(q, _TWO_NUMBERS) | (_match(q, "[0-9]") & _match(q, _WORD_PROBLEM))
        else:
            hit = _match(sub, _DOMAIN_PATTERNS[name])
        if whole:
            hit = hit[todo]
        code[todo[hit]] = DOMAINS.index(name)
        undecided[todo[hit]] = False
    code = p.expand(code)
    code[agentic] = DOMAINS.index("agentic")
    return pa.DictionaryArray.from_arrays(pa.array(code, pa.int8()), pa.array(DOMAINS, pa.string()))


def language(prompts: PromptArray) -> pa.StringArray:
    """``language``: the prompt's language as an ISO 639-1 code, ``"und"`` when unclear. string, one per row.

    Reads the first 400 characters. Scripts first, from UTF-8 lead bytes in one numpy pass: Han without kana
    ``zh``, kana ``ja``, Hangul ``ko``, Cyrillic ``ru`` (``uk`` with і ї є ґ), Arabic ``ar`` (``fa`` with پ چ
    ژ گ ی ک), Devanagari ``hi``, Thai ``th``, Greek ``el``, Hebrew ``he``; Latin script with Vietnamese letters
    ``vi``; other Latin text by stop words: ``en es fr de pt it tr vi`` (Turkish letters ğ ş ı count for ``tr``),
    with a fast path for plainly English text.

    Deliberately NOT done: telling languages of one script apart beyond those (Bulgarian reads as ``ru``,
    Marathi and Nepali as ``hi``, Urdu as ``fa``, Cantonese as ``zh``), or reading code: a prompt of only code
    or numbers is ``und``, as is Latin text with no known stop word or a tie between two languages.
    """
    return _language(_prepare(prompts))


def _utf8(arr: pa.StringArray) -> tuple[np.ndarray, np.ndarray]:
    """A string array's value offsets (rebased to 0, int64) and its UTF-8 bytes, without copying the bytes."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], np.int32, n + 1, offset=4 * arr.offset).astype(np.int64)
    start, end = int(offsets[0]), int(offsets[-1])
    buf = arr.buffers()[2]
    data = np.frombuffer(buf, np.uint8, end - start, offset=start) if end > start else np.zeros(0, np.uint8)
    return offsets - start, data


def _script_counts(text: pa.StringArray, ascii_letters: bool = True) -> np.ndarray:
    """Characters per script class for each row: an (n, _N_SCRIPTS) int64 array, from one pass over the bytes.

    ASCII letters are summed per row (unless ``ascii_letters`` is False); every multi-byte character is
    classified by its lead byte and the next one (see _script_table), which is enough to tell the scripts apart.
    """
    n = len(text)
    counts = np.zeros((n, _N_SCRIPTS), np.int64)
    offsets, data = _utf8(text)
    if not data.size:
        return counts
    if ascii_letters:
        letters = (((data | 0x20) - 0x61) < 26).view(np.uint8)  # uint8 arithmetic wraps: A-Z and a-z only
        starts = offsets[:-1]
        small = int((offsets[1:] - starts).max()) < 65536  # a uint16 accumulator is 7x faster than an int64 one
        per_row = np.add.reduceat(letters, np.minimum(starts, data.size - 1), dtype=np.uint16 if small else np.int64)
        counts[:, _S_LATIN] = np.where(offsets[1:] > starts, per_row, 0)  # reduceat gives a value for empty rows
    lead = np.flatnonzero(data >= 0xC0)
    if lead.size:
        follow = data[np.minimum(lead + 1, data.size - 1)]
        script = _SCRIPT_TABLE[(data[lead].astype(np.intp) << 8) | follow]
        known = script > 0
        row = np.searchsorted(offsets, lead[known], side="right") - 1
        counts += np.bincount(row * _N_SCRIPTS + script[known], minlength=n * _N_SCRIPTS).reshape(n, _N_SCRIPTS)
    return counts


def _stopword_scores(sample_lower: pa.StringArray) -> np.ndarray:
    """Stop-word hits per Latin language for each row: an (n, len(_LATIN_LANGS)) float array."""
    n = len(sample_lower)
    words = pc.split_pattern_regex(sample_lower, r"[^\pL\pM]+")
    flat = pc.list_flatten(words)
    lengths = pc.list_value_length(words).to_numpy(zero_copy_only=False)
    row = np.repeat(np.arange(n), lengths)
    idx = pc.index_in(flat, value_set=_WORD_VALUES)
    valid = pc.is_valid(idx).to_numpy(zero_copy_only=False)
    widx = pc.fill_null(idx, 0).to_numpy(zero_copy_only=False)[valid]
    row = row[valid]
    scores = np.zeros((n, len(_LATIN_LANGS)), np.float32)
    for j in range(len(_LATIN_LANGS)):
        scores[:, j] = np.bincount(row, weights=_WORD_WEIGHTS[widx, j], minlength=n)
    return scores


def _language(p: _Prepared) -> pa.StringArray:
    n = len(p.text)
    c = p.scripts.astype(np.float64)
    latin = c[:, _S_LATIN] + c[:, _S_VI] + c[:, _S_TR]
    cyrillic = c[:, _S_CYRILLIC] + c[:, _S_UK]
    arabic = c[:, _S_ARABIC] + c[:, _S_FA]
    cjk = c[:, _S_HAN] + c[:, _S_KANA]
    # Compare scripts by weight of text: a CJK character or Hangul syllable carries about as much as four Latin
    # letters.
    weights = np.stack(
        [latin, 4 * cjk, 4 * c[:, _S_HANGUL], cyrillic, arabic, c[:, _S_DEVANAGARI], c[:, _S_THAI],
         c[:, _S_GREEK], c[:, _S_HEBREW]], axis=1,
    )
    dominant = weights.argmax(axis=1)
    enough = weights.max(axis=1) >= 2
    ja = c[:, _S_KANA] >= np.maximum(2, 0.1 * cjk)
    uk = (c[:, _S_UK] >= 2) & (c[:, _S_UK] >= 0.02 * cyrillic)
    fa = (c[:, _S_FA] >= 2) & (c[:, _S_FA] >= 0.03 * arabic)
    vi = (c[:, _S_VI] >= 2) & (c[:, _S_VI] >= 0.03 * latin)
    codes = np.full(n, "und", dtype=object)
    script_code = {
        1: np.where(ja, "ja", "zh"), 2: "ko", 3: np.where(uk, "uk", "ru"), 4: np.where(fa, "fa", "ar"), 5: "hi",
        6: "th", 7: "el", 8: "he",
    }
    for k, code in script_code.items():
        sel = enough & (dominant == k)
        codes[sel] = code[sel] if isinstance(code, np.ndarray) else code
    latin_rows = enough & (dominant == 0)
    codes[latin_rows & vi] = "vi"
    todo = np.flatnonzero(latin_rows & ~vi)
    if todo.size:
        # Sliced before the take (the same text), so the take copies the sample, not the whole window.
        sample = pc.utf8_slice_codeunits(p.lower, 0, _LANG_SAMPLE_CHARS).take(pa.array(todo))
        # Fast path: plainly English text (most traffic) needs no per-word scoring. Plainly English: at least two
        # English-only words, and four times as many as other languages' frequent words. Where there are none of
        # those, "two English-only words" is one match that stops at the second word, not a count of them all.
        other = pc.count_substring_regex(sample, _NOT_EN_WORDS).to_numpy(zero_copy_only=False)
        plain_en = (c[todo, _S_TR] + c[todo, _S_VI] == 0) & _match(sample, _TWO_EN_ONLY_WORDS)
        mixed = np.flatnonzero(plain_en & (other > 0))
        if mixed.size:
            en = pc.count_substring_regex(sample.take(pa.array(mixed)), _EN_ONLY_WORDS).to_numpy(zero_copy_only=False)
            plain_en[mixed] = en >= 4 * other[mixed]
        codes[todo[plain_en]] = "en"
        rest = np.flatnonzero(~plain_en)
        if rest.size:
            rows = todo[rest]
            rest_sample = sample.take(pa.array(rest))
            scores = _stopword_scores(rest_sample)
            for lang, cue in _LETTER_CUES.items():
                hits = pc.count_substring_regex(rest_sample, cue).to_numpy(zero_copy_only=False)
                scores[:, _LATIN_LANGS.index(lang)] += 0.5 * np.minimum(hits, 4)
            best = scores.argmax(axis=1)
            top = scores.max(axis=1)
            runner_up = np.sort(scores, axis=1)[:, -2]
            decided = (top >= 1) & (top > runner_up)
            codes[rows[decided]] = np.array(_LATIN_LANGS, dtype=object)[best[decided]]
    return pa.array(p.expand(codes), pa.string())


def text_signals(
    prompts: PromptArray, tools: pa.Array | pa.ChunkedArray | None = None,
    tool_messages: pa.Array | pa.ChunkedArray | None = None,
) -> pa.RecordBatch:
    """All six text signals as one record batch, one column per signal id, sharing one preparation."""
    return _signals(_prepare(prompts), tools, tool_messages)


def _signals(p: _Prepared, tools: pa.Array | pa.ChunkedArray | None,
             tool_messages: pa.Array | pa.ChunkedArray | None) -> pa.RecordBatch:
    """:func:`text_signals` of prepared prompts (``request_signals`` prepares them itself to reuse their lengths)."""
    return pa.RecordBatch.from_arrays(
        [_cot(p), _grader(p), _rewrite(p), _identity(p), _domain(p, tools, tool_messages), _language(p)],
        names=list(SIGNAL_IDS),
    )
