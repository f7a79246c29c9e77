"""What a request states explicitly, parsed deterministically (English, German, Spanish, French).

`parse_request(prompt)` reads durations, aspects, cut rhythms, fps, styles, transitions, effects,
prohibitions, looks, texts and speed words into `RequestConstraints`, and lists the places where
the request contradicts itself. Whatever plans the edit (rules or an LLM), these constraints
decide.

The parser works on a lower-cased copy of the prompt and blanks each phrase it has used (same
length, so positions stay valid), so that one phrase is never read twice: "60 fps" is not a
duration, "no flashes" does not ask for a flash, "flash transition" is not a flash effect.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, Mapping

from agent.timeline.plan import RHYTHM_BEATS, Aspect, EffectKind, EffectTrigger, Rhythm

Language = Literal["en", "de", "es", "fr"]
Scope = Literal["all", "drops", "calm"]
LookName = Literal["none", "punchy", "teal_orange", "warm", "cold", "bw", "vintage", "dark"]

# A custom xfade expression (ffmpeg 5.1 syntax) that looks like a digital glitch: the frame is cut
# into 8-px rows and 32-px columns; each block switches from A to B at its own pseudo-random
# moment, re-shuffled 12 times during the transition. P runs 1 -> 0 in xfade, and every
# threshold lies in [0, 28/29], so P=1 shows exactly A and P=0 exactly B.
GLITCH_XFADE_EXPR = "if(gt(P,mod(floor(Y/8)*37+floor(X/32)*11+floor(P*12)*53,29)/29),A,B)"


# ----------------------------------------------------------------------------- request model


@dataclass(frozen=True)
class TransitionAsk:
    """A transition the request names: an xfade name, or "custom" with `expr`."""

    name: str
    phrase: str
    expr: str | None = None
    scope: Scope = "all"
    every_n_cuts: int | None = None


@dataclass(frozen=True)
class EffectAsk:
    """An effect the request names; `on` is None when the request does not say when."""

    kind: EffectKind
    phrase: str
    on: EffectTrigger | None = None
    every: int = 1
    scope: Scope = "all"
    intensity: float | None = None


@dataclass(frozen=True)
class TextAsk:
    text: str
    kind: Literal["title", "text"]


@dataclass(frozen=True)
class RequestConstraints:
    """What the request states explicitly. A field is None (or empty) when the request is silent.

    `*_phrase` fields keep the words the value was read from, for reasons and contradictions.
    `rhythm` applies to the whole reel; `drop_rhythm` / `calm_rhythm` to the drops / the rest.
    """

    language: Language = "en"
    duration: float | None = None
    duration_phrase: str | None = None
    aspect: Aspect | None = None
    aspect_phrase: str | None = None
    fit: Literal["crop", "blur_pad"] | None = None
    fps: float | None = None
    height: int | None = None
    rhythm: Rhythm | None = None
    rhythm_phrase: str | None = None
    drop_rhythm: Rhythm | None = None
    drop_rhythm_phrase: str | None = None
    calm_rhythm: Rhythm | None = None
    calm_rhythm_phrase: str | None = None
    style: str | None = None
    style_phrase: str | None = None
    styles: tuple[str, ...] = ()
    transitions: tuple[TransitionAsk, ...] = ()
    no_transitions: str | None = None  # the phrase that forbids transitions ("hard cuts only")
    hard_cuts: str | None = None  # a softer "hard cuts": no transitions unless one is named
    effects: tuple[EffectAsk, ...] = ()
    no_effects: str | None = None
    showcase: str | None = None  # the phrase asking to show off the tool library ("effect showcase")
    banned_effects: tuple[EffectKind, ...] = ()
    look: LookName | None = None
    look_phrase: str | None = None
    texts: tuple[TextAsk, ...] = ()
    speed: float | None = None
    speed_ramp: bool | None = None
    speed_phrase: str | None = None
    contradictions: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- phrase tables

_NUMBER_WORDS: Mapping[str, float] = MappingProxyType({
    # en
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "twenty-five": 25,
    "twenty five": 25, "thirty": 30, "forty": 40, "forty-five": 45, "forty five": 45, "fifty": 50,
    "sixty": 60, "ninety": 90,
    # de
    "eins": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "zwölf": 12, "fünfzehn": 15, "zwanzig": 20, "fünfundzwanzig": 25,
    "dreißig": 30, "dreissig": 30, "vierzig": 40, "fünfundvierzig": 45, "fünfzig": 50,
    "sechzig": 60, "neunzig": 90,
    # es
    "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
    "diez": 10, "doce": 12, "quince": 15, "veinte": 20, "veinticinco": 25, "treinta": 30,
    "cuarenta": 40, "cuarenta y cinco": 45, "cincuenta": 50, "sesenta": 60, "noventa": 90,
    # fr
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10,
    "douze": 12, "quinze": 15, "vingt": 20, "vingt-cinq": 25, "trente": 30, "quarante": 40,
    "quarante-cinq": 45, "cinquante": 50, "soixante": 60, "quatre-vingt-dix": 90,
})
_NUMBER_WORD_RE = "|".join(re.escape(w) for w in sorted(_NUMBER_WORDS, key=len, reverse=True))
_NUM = r"\d+(?:[.,]\d+)?"
_SEC = (r"(?:seconds?|secondes?|sekunden|sekunde|segundos?|secs?|sek|segs?|s)")
_MIN = r"(?:minutes?|minuten|minutos?|mins?)"

# Phrases that make a "N seconds" a time inside the reel or an interval, not the reel's length.
_NOT_LENGTH_BEFORE = re.compile(
    r"(?:every|each|at|after|from|until|till|first|last|alle|jede|jeden|jeder|bei|ab|nach|bis|um|"
    r"ersten|letzten|cada|a los|desde|hasta|primeros|últimos|toutes les|tous les|à|après|dès|"
    r"jusqu'à|premières|dernières|premiers|derniers)\s*$")
_NOT_LENGTH_AFTER = re.compile(
    r"^\s*(?:-?\s*long\s+)?(?:of\s+(?:footage|material|video|raw|clips?)|cross-?fades?|fades?|"
    r"transitions?|flash(?:es)?|dissolves?|zooms?|shakes?|ramps?|übergang|übergänge|fundidos?|"
    r"fondus?|in\s*(?:[,.;!?)]|$))")

_DECADE = re.compile(r"^(?:19|20)?[1-9]0s$")
_DECADE_AFTER = re.compile(r"^\s*(?:style|vibes?|look|aesthetics?|era|music|songs?|hits?|throwback|nostalgia|retro|"
                           r"stil|estilo|années|rock|pop|hip-?hop|disco)")

_RATIO_ASPECTS = (
    (r"9\s*[:x/]\s*16", "9:16"), (r"16\s*[:x/]\s*9", "16:9"), (r"1\s*[:x/]\s*1", "1:1"),
    (r"4\s*[:x/]\s*5", "4:5"),
)
_NOT_FORMAT_AFTER = (r"(?!\s+(?:wipes?|slides?|splits?|transitions?|shots?|footage|photos?|views?|"
                     r"scenes?|clips?|photography|pans?|barridos?|volets?))")
_WORD_ASPECTS = (
    (r"vertical(?:e|es)?|vertikal|portrait|hochkant|hochformat|retrato", "9:16"),
    (r"square|quadratisch(?:e|es|en)?|cuadrad[oa]|carrée?", "1:1"),
    (r"horizontal(?:e|es)?|landscape|widescreen|wide-screen|querformat|paysage|apaisado|"
     r"panor[aá]mico|panoramique", "16:9"),
)
# Platform names only imply an aspect; an explicit format word or ratio wins without conflict.
_PLATFORM_ASPECTS = (
    (r"tik\s?tok|(?:instagram\s+)?reels|instagram\s+reel|(?:youtube\s+)?shorts|stories|snapchat", "9:16"),
    (r"instagram\s+(?:post|feed)", "4:5"),
)

_STRICT_NO_TRANSITIONS = (
    r"no\s+transitions?|without\s+(?:any\s+)?transitions?|hard\s+cuts?\s+only|(?:only|just)\s+hard\s+cuts?|"
    r"nothing\s+but\s+hard\s+cuts?|keine(?:n)?\s+übergänge?|ohne\s+übergänge?|nur\s+harte\s+schnitte|"
    r"sin\s+transiciones|solo\s+cortes\s+(?:secos|duros|directos)|sans\s+transitions?|"
    r"(?:uniquement|seulement|que)\s+des\s+coupes\s+(?:franches|sèches|nettes)")
_SOFT_HARD_CUTS = r"hard\s+cuts?|harte\s+schnitte|cortes\s+(?:secos|duros)|coupes\s+(?:franches|sèches)"
_NO_EFFECTS = (r"no\s+(?:effects?|fx)|without\s+(?:any\s+)?(?:effects?|fx)|keine\s+effekte|ohne\s+effekte|"
               r"sin\s+efectos|sans\s+effets?")
_SHOWCASE = (r"(?:effects?|fx|tools?)\s+showcase|showcase\s+(?:of\s+)?(?:the\s+|all\s+|every\s+)?"
             r"(?:effects?|fx|tools?|library)|showcase(?:\s+edit)?|(?:all|every)\s+(?:the\s+)?(?:effects?|fx|tools?)|"
             r"lots\s+of\s+(?:effects?|fx)|(?:effects?|fx)\s+galore|alle\s+effekte|todos\s+los\s+efectos|"
             r"tous\s+les\s+effets")
_NO_EFFECT_KIND = (
    (r"(?:no|without|keine|ohne|sin|sans)\s+(?:white\s+)?(?:flash(?:es|s)?|strobes?|blitze?|destellos?)", "flash"),
    (r"(?:no|without|keine|ohne|sin|sans)\s+(?:camera\s+)?(?:shakes?|wackeln|sacudidas?|secousses?)", "shake"),
    (r"(?:no|without|keine|ohne|sin|sans)\s+(?:zoom[- ]?punch(?:es)?|punch[- ]?ins?|zooms?)", "zoom_punch"),
)

# (pattern, style, is_genre). A genre ("travel") names the kind of reel; a mood ("cinematic")
# only colours it, so "cinematic travel video" is a travel reel with a cinematic look.
_STYLE_WORDS = (
    (r"phonk", "phonk", True),
    (r"amv|anime\s+edit", "amv", True),
    # German glues nouns together ("Hochzeitsvideo", "Reisevlog"), so its style words may open one.
    (r"travel|trip|vacation|holiday|reise\w*|urlaub\w*|viaje|vacaciones|voyage|vacances", "travel", True),
    (r"wedding|hochzeit\w*|boda|mariage", "wedding", True),
    (r"vlog", "vlog", True),
    (r"sports?|workout|gym|fitness|deportes?", "sport", True),
    (r"montage", "montage", True),
    (r"lo-?fi|lo\s+fi", "lofi", True),
    (r"hype|energetic|energisch|enérgico|énergique", "hype", False),
    (r"calm|relaxed|peaceful|ruhig(?:e|er|es)?|entspannt(?:e|er|es)?|tranquil[oa]|calme|paisible",
     "calm", False),
    (r"cinematic|filmisch(?:e|er|es)?|cinematográfic[oa]|cinemátic[oa]|cinématique|cinématographique",
     "cinematic", False),
    (r"chill(?:ig)?", "lofi", False),
)
MOOD_STYLES = frozenset(style for _, style, is_genre in _STYLE_WORDS if not is_genre and style != "lofi")
_NOT_A_STYLE_AFTER = r"(?!\s+(?:parts?|sections?|bits?|teilen|stellen|partes|parties))"

_LOOK_WORDS = (
    (r"teal(?:\s*(?:and|&|-|/)\s*|\s+)orange", "teal_orange"),
    (r"black(?:\s*(?:and|&|-|/)\s*)white|b\s*&\s*w|b/w|monochrome|schwarz\s*-?\s*weiß|schwarzweiß|"
     r"schwarz\s+und\s+weiß|blanco\s+y\s+negro|noir\s+(?:et\s+)?blanc|monocromo", "bw"),
    (r"vintage|retro|rétro", "vintage"),
    (r"punchy|vibrant|knallig(?:e|er|es)?|vibrante|saturated|gesättigt(?:e|er)?|saturad[oa]|saturée?", "punchy"),
    (r"dark|moody|dunkel|düster(?:e|er)?|oscur[oa]|sombre", "dark"),
    (r"warm(?:e|er|es)?|c[aá]lid[oa]s?|chaude?s?", "warm"),
    (r"cold|cool(?=\s+(?:tones?|colou?rs?|grade|grading|look|blues?))|kalt(?:e|er|es)?|kühl(?:e|er|es)?|"
     r"fr[ií]os?|fr[ií]as?|froide?s?", "cold"),
)

_SLOW_MOTION = r"slow[- ]?motion|slow[- ]?mo|slowmo|zeitlupe|c[aá]mara\s+lenta|ralentie?|ralentí|half\s+speed"
_SPEED_RAMP = (r"speed[- ]?ramp(?:s|ing)?|ramps?|geschwindigkeitsrampen?|rampas?\s+de\s+velocidad|"
               r"rampes?\s+de\s+vitesse")

_TRANSITION_SUFFIX = r"(?:\s+(?:transitions?|übergänge?|transici(?:ón|ones)))?"
_TRANSITION_PREFIX = r"(?:(?:transitions?|übergänge?|transici(?:ón|ones))\s+(?:de\s+|en\s+|mit\s+|par\s+)?)?"
# Order matters: longer names first, and each match is blanked before the next pattern runs.
_TRANSITION_WORDS = (
    (r"fade\s+(?:to|through)\s+black|fadeblack|dip\s+to\s+black|schwarzblende|fundido\s+a\s+negro|"
     r"fondu\s+(?:au|en)\s+noir", "fadeblack"),
    (r"fade\s+(?:to|through)\s+white|fadewhite|dip\s+to\s+white|flash\s+transitions?|weißblende|"
     r"fundido\s+a\s+blanco|fondu\s+(?:au|en)\s+blanc|transici[oó]n\s+(?:de\s+)?flash|transition\s+flash",
     "fadewhite"),
    (r"glitch(?:es|y)?", "custom"),
    (r"smooth\s*(?:wipes?|slides?)|smoothleft|smooth(?=\s+(?:transitions?|übergänge?|transici))",
     "smoothleft"),
    (r"zoom(?:[- ]?in)?(?:\s+transitions?|-?übergang)|zoomin|(?:transici[oó]n|transition)\s+(?:de\s+)?zoom",
     "zoomin"),
    (r"wipes?|wipeleft|wischblenden?|barridos?|volets?", "wipeleft"),
    (r"slides?|slideleft|schiebeblenden?|deslizamientos?|glissements?", "slideleft"),
    (r"circle(?:open)?|kreisblenden?|c[ií]rculos?|cercles?", "circleopen"),
    (r"pixeli[sz](?:e|ed|ation)|pixel(?:ated)?|verpixel\w*|pixelad[oa]|pixelis\w*", "pixelize"),
    (r"radial", "radial"),
    (r"cross-?fades?|cross-?dissolves?|dissolves?|fades?(?![- ]?(?:in|out)\b)|überblend\w*|"
     r"fundidos?(?:\s+encadenados?)?|disoluci[oó]n|fondus?(?:\s+encha[iî]n[ée]s?)?",
     "fade"),
)
_GENERIC_TRANSITION = r"transitions?|übergänge?|transici(?:ón|ones)"

_EFFECT_WORDS = (
    (r"(?:white\s+)?flash(?:es|ing)?|strob(?:e|es|ing|oscope)|(?:weiße?r?\s+)?blitz(?:e|en)?|"
     r"destellos?(?:\s+blancos?)?", "flash"),
    (r"zoom[- ]?punch(?:es)?|punch[- ]?ins?|punch[- ]?zooms?|zoom(?:s|ing)?(?:[- ]in)?", "zoom_punch"),
    (r"(?:camera\s+|screen\s+|cam\s+)?shak(?:e|es|ing|y)|(?:kamera)?wackeln|wackler|verwackel\w*|"
     r"sacudidas?|temblor(?:es)?|secousses?|tremblements?", "shake"),
)

# (pattern, rhythm, strong). A weak phrase ("on the beat") says *when* an effect fires but is not
# an explicit cut rhythm ("cut on the beat" only asks for beat-synced cuts).
_RHYTHM_WORDS = (
    (r"(?:every|each)\s+(?:other|second|2nd|2|two)\s+beats?|alle\s+(?:2|zwei)\s+(?:beats|schläge)|"
     r"(?:jeden|jedem)\s+zweiten\s+(?:beat|schlag)|cada\s+(?:2|dos)\s+(?:beats|golpes|tiempos|pulsos)|"
     r"tous\s+les\s+(?:2|deux)\s+(?:temps|beats)|un\s+temps\s+sur\s+deux", "every_2_beats", True),
    (r"(?:every|each)\s+(?:other|second|2|two)\s+(?:bars?|measures?)|alle\s+(?:2|zwei)\s+takte|"
     r"jeden\s+zweiten\s+takt|cada\s+(?:2|dos)\s+compases|toutes\s+les\s+(?:2|deux)\s+mesures|"
     r"une\s+mesure\s+sur\s+deux", "every_2_bars", True),
    (r"(?:every|each)\s+(?:4|four)\s+(?:bars?|measures?)|(?:every|each|per|by|on\s+the)\s+phrases?|"
     r"alle\s+(?:4|vier)\s+takte|(?:jede|pro)\s+phrase|cada\s+(?:4|cuatro)\s+compases|cada\s+frase|"
     r"toutes\s+les\s+(?:4|quatre)\s+mesures|chaque\s+phrase", "phrase", True),
    (r"(?:(?:on|at)\s+)?(?:the\s+|every\s+|each\s+)?down-?beats?|once\s+(?:per|a|every)\s+(?:bar|measure)|"
     r"(?:every|each|per)\s+(?:bar|measure)|on\s+the\s+one|(?:einmal\s+)?(?:pro|auf\s+jeden|jeder|jeden|jedem)"
     r"\s+takt|auf\s+die\s+eins|(?:en\s+)?cada\s+compás|(?:una\s+vez\s+)?por\s+compás|"
     r"(?:à\s+)?chaque\s+mesure|(?:une\s+fois\s+)?par\s+mesure|sur\s+les\s+temps\s+forts", "downbeat", True),
    (r"(?:(?:on|at)\s+)?(?:every|each)\s+(?:single\s+)?beat|(?:auf\s+)?(?:jeden|jedem|jeder)\s+(?:beat|schlag)|"
     r"(?:en\s+)?cada\s+(?:beat|golpe|tiempo|pulso)|(?:(?:à|sur)\s+)?chaque\s+(?:temps|beat|battement)|"
     r"tous\s+les\s+temps", "every_beat", True),
    (r"(?:on|to|with)\s+(?:the\s+)?beats?|on\s+beat|im\s+takt|auf\s+(?:den|dem)\s+beat|al\s+ritmo|"
     r"en\s+rythme|sur\s+le\s+(?:beat|temps)", "every_beat", False),
)
_COUNT_WORDS = r"\d+|two|four|eight|sixteen|zwei|vier|acht|dos|cuatro|ocho|deux|quatre|huit"
_NUMERIC_RHYTHM = (r"(?:every|each|alle|cada|tous\s+les|toutes\s+les)\s+(" + _COUNT_WORDS + r")\s+"
                   r"(beats?|schläge|golpes|tiempos|temps|bars?|measures?|takte|compases|mesures)")
_BEATS_TO_RHYTHM: Mapping[int, Rhythm] = MappingProxyType({v: k for k, v in RHYTHM_BEATS.items()})

_CUT_TRIGGER = (
    r"(?:on|at|with)\s+(?:every|each|the|all)?\s*cuts?|(?:every|each)\s+cut|"
    r"between\s+(?:every|each|all|the)?\s*(?:clips?|shots?|cuts?)|"
    r"(?:bei|an|auf)\s+(?:jedem|jeden|den|allen)?\s*schnitt(?:en|e)?|zwischen\s+(?:den|allen|jedem)?\s*clips?|"
    r"en\s+(?:cada|los|todos\s+los)\s+cortes?|entre\s+(?:cada|los)?\s*clips?|"
    r"(?:à|sur|aux)\s+(?:chaque|les|toutes\s+les)?\s*(?:coupes?|cuts?)|entre\s+(?:chaque|les)?\s*(?:clips?|plans?)")
_CUT_WORDS = r"cuts?|cutting|schnitte?|schneiden|cortes?|cortar|coupes?|couper"
_DROP_SCOPE = (r"(?:(?:on|at|in|during|for|beim|bei|im|auf|en|sur|au|aux|dans|pendant)\s+)?"
               r"(?:(?:the|every|each|den|dem|el|los|les|le|chaque|jedem|jeden)\s+)?(?:beat\s+)?drops?")
_CALM_SCOPE = (
    r"(?:in\s+(?:the\s+)?)?(?:intro|build-?ups?|builds?|breakdowns?|breaks?|outro|verses?)|"
    r"(?:in\s+(?:the\s+)?)?(?:calm(?:er)?|quiet(?:er)?|slow(?:er)?)\s+(?:parts?|sections?|bits?)|"
    r"elsewhere|otherwise|(?:in\s+)?the\s+rest|sonst|ansonsten|im\s+rest|(?:in\s+(?:den\s+)?)?ruhigen\s+"
    r"(?:teilen|stellen)|en\s+el\s+resto|en\s+las\s+partes\s+tranquilas|ailleurs|(?:dans\s+)?le\s+reste|"
    r"dans\s+les\s+parties\s+calmes")
_STRONG_WORDS = r"strong|heavy|big|intense|stark(?:e|er|en)?|krass(?:e|er)?|fuertes?|intensos?|forts?|fortes?"
_SUBTLE_WORDS = (r"subtle|light|slight|soft|leicht(?:e|er|en)?|dezent(?:e|er|en)?|sutil(?:es)?|suaves?|"
                 r"légère?s?|subtile?s?")

_LANGUAGE_WORDS: Mapping[str, frozenset[str]] = MappingProxyType({
    "en": frozenset("the and with every each on cut cuts make edit of my to please no without beat beats "
                    "seconds second reel video clips from this these for only drops drop bar".split()),
    "de": frozenset("der die das und mit jeden jedem jeder auf ein eine einen schnitt schnitte sekunden bitte "
                    "ohne keine mach mache erstelle aus meinen meine im den dem zu takt hochkant beim".split()),
    "es": frozenset("el los las y con cada una del sin segundos corte cortes haz crea mis por para golpe "
                    "compás vídeo efectos transiciones hazme".split()),
    "fr": frozenset("le les et avec chaque une des du sans secondes coupe coupes fais crée mes sur pour au "
                    "aux mesure temps effets vidéo fais-moi".split()),
})

_QUOTES = re.compile(r'"([^"]+)"|“([^”]+)”|„([^“”"]+)[“”"]|«\s*([^»]+?)\s*»|»([^«]+)«')
_TITLE_BEFORE = re.compile(r"(?:title|titel|título|titulo|titre|heading|headline|überschrift)\s*[:=]?\s*$",
                           re.IGNORECASE)
_TEXT_BEFORE = re.compile(r"(?:text|texte|texto|caption|untertitel|subtitle|overlay|says|saying|reading|"
                          r"sous-titre|schriftzug)\s*[:=]?\s*$", re.IGNORECASE)


# ----------------------------------------------------------------------------- scanning


def _words(pattern: str) -> str:
    """Wrap an alternation so it only matches whole words (letters, digits, hyphen-words)."""
    return r"(?<![\w])(?:" + pattern + r")(?![\w])"


@dataclass
class _Scanner:
    """The lower-cased request; phrases are blanked once used so no phrase is read twice."""

    text: str

    def take(self, pattern: str, whole_words: bool = True) -> list[re.Match[str]]:
        regex = re.compile(_words(pattern) if whole_words else pattern)
        matches = list(regex.finditer(self.text))
        for m in matches:
            self.blank(m.start(), m.end())
        return matches

    def blank(self, start: int, end: int) -> None:
        self.text = self.text[:start] + " " * (end - start) + self.text[end:]


@dataclass(frozen=True)
class _Item:
    """A phrase found in the request, placed by position so it can be tied to its neighbours."""

    pos: int
    end: int
    kind: Literal["cut", "effect", "transition", "generic_transition", "rhythm", "scope", "cut_trigger",
                  "intensity"]
    value: object
    phrase: str

    @property
    def is_subject(self) -> bool:
        return self.kind in ("cut", "effect", "transition", "generic_transition")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFC", text)
    return text.replace("’", "'").replace("–", "-").replace("—", "-").replace("\u00a0", " ")


def _phrase(m: re.Match[str]) -> str:
    return " ".join(m.group(0).split())


# ----------------------------------------------------------------------------- parse_request


def parse_request(prompt: str) -> RequestConstraints:
    """Read what the request states explicitly; list where it contradicts itself."""
    prompt = _clean(prompt)
    texts, prompt = _take_quoted_texts(prompt)
    scan = _Scanner(prompt.lower())
    language = _detect_language(scan.text)
    fields: dict[str, object] = {"language": language, "texts": texts}
    contradictions: list[str] = []

    fps_values = _take_fps(scan)
    if fps_values:
        fields["fps"] = fps_values[0][0]
        contradictions += _differing("frame rates", fps_values, tolerance=0.01, unit=" fps")
    height = _take_height(scan)
    if height is not None:
        fields["height"] = height

    # Aspect ratios before durations, so "9:16" is never read as 9 min 16 s.
    aspects = _take_aspects(scan)
    if aspects:
        fields["aspect"], fields["aspect_phrase"] = aspects[0]
        contradictions += _differing("aspect ratios", aspects)

    durations = _take_durations(scan)
    if durations:
        fields["duration"], fields["duration_phrase"] = durations[0]
        contradictions += _differing("durations", durations, tolerance=1.0, unit=" s")

    prohibitions = _take_prohibitions(scan)
    fields.update(prohibitions)
    if scan.take(r"blur(?:red)?[- ]?pad(?:ding)?|letterbox(?:ed|ing)?|no\s+crop(?:ping)?|don't\s+crop|"
                 r"nicht\s+beschneiden|sin\s+recortar|sans\s+recadrer"):
        fields["fit"] = "blur_pad"

    # Scope phrases like "calm parts" go before the styles so "calm" there is not a style.
    items = [_Item(m.start(), m.end(), "scope", "calm", _phrase(m)) for m in scan.take(_CALM_SCOPE)]

    fields.update(_take_style(scan, language))
    for pattern, name in _LOOK_WORDS:
        found = scan.take(pattern)
        if found and "look" not in fields:
            fields["look"], fields["look_phrase"] = name, _phrase(found[0])
    if found := scan.take(_SLOW_MOTION):
        fields["speed"], fields["speed_phrase"] = 0.5, _phrase(found[0])
    if found := scan.take(_SPEED_RAMP):
        fields["speed_ramp"] = True
        fields["speed_phrase"] = ", ".join(filter(None, [fields.get("speed_phrase"), _phrase(found[0])]))

    items = sorted(items + _take_clause_items(scan), key=lambda i: (i.pos, i.end))
    groups = _group_by_subject(items, scan.text)
    rhythms, transitions, effects = _read_groups(groups)

    for scope, key in (("all", "rhythm"), ("drops", "drop_rhythm"), ("calm", "calm_rhythm")):
        found_rhythms = [(r, p) for s, r, p in rhythms if s == scope]
        if found_rhythms:
            fields[key], fields[key + "_phrase"] = found_rhythms[0]
            where = {"all": "cut rhythms", "drops": "cut rhythms for the drops",
                     "calm": "cut rhythms for the calm parts"}[scope]
            contradictions += _differing(where, found_rhythms)
    fields["transitions"] = tuple(transitions)
    fields["effects"] = tuple(effects)

    if transitions and fields.get("no_transitions"):
        names = ", ".join(f"'{t.phrase}'" for t in transitions)
        contradictions.append(f"asks for the transition {names} but also says '{fields['no_transitions']}'")
    if fields.get("showcase") and fields.get("no_effects"):
        contradictions.append(f"asks for '{fields['showcase']}' but also says '{fields['no_effects']}'")
    if effects and fields.get("no_effects"):
        names = ", ".join(f"'{e.phrase}'" for e in effects)
        contradictions.append(f"asks for the effect {names} but also says '{fields['no_effects']}'")
    banned = fields.get("banned_effects", ())
    for effect in effects:
        if effect.kind in banned:
            contradictions.append(f"asks for '{effect.phrase}' but also forbids {effect.kind} "
                                  f"('{prohibitions['banned_phrases'][effect.kind]}')")
    fields.pop("banned_phrases", None)
    return RequestConstraints(**fields, contradictions=contradictions)  # type: ignore[arg-type]


def _take_quoted_texts(prompt: str) -> tuple[tuple[TextAsk, ...], str]:
    """Quoted words are overlay text, never instructions: read them, then blank them."""
    texts: list[TextAsk] = []
    for m in _QUOTES.finditer(prompt):
        content = next(g for g in m.groups() if g is not None).strip()
        before = prompt[max(0, m.start() - 40):m.start()]
        if content and _TITLE_BEFORE.search(before):
            texts.append(TextAsk(content[:200], "title"))
        elif content and _TEXT_BEFORE.search(before):
            texts.append(TextAsk(content[:200], "text"))
    blanked = _QUOTES.sub(lambda m: " " * len(m.group(0)), prompt)
    return tuple(texts), blanked


def _detect_language(text: str) -> Language:
    tokens = re.findall(r"[\w'-]+", text)
    scores = {lang: sum(t in words for t in tokens) for lang, words in _LANGUAGE_WORDS.items()}
    scores["de"] += 2 * len(re.findall(r"[äöüß]", text))
    scores["es"] += 2 * len(re.findall(r"[ñ¿¡]", text)) + len(re.findall(r"[áíóú]", text))
    scores["fr"] += 2 * len(re.findall(r"[çèêëàâîôûœù]", text))
    best = max(scores.values())
    return next(lang for lang in ("en", "de", "es", "fr") if scores[lang] == best)  # type: ignore[return-value]


def _differing(what: str, values: list[tuple[object, str]], tolerance: float = 0.0,
               unit: str = "") -> list[str]:
    """One reason per value that differs from the first one stated, naming both phrases."""
    first_value, first_phrase = values[0]
    reasons = []
    for value, phrase in values[1:]:
        differs = (abs(float(value) - float(first_value)) > tolerance  # type: ignore[arg-type]
                   if isinstance(value, (int, float)) else value != first_value)
        if differs:
            reasons.append(f"two different {what}: '{first_phrase}' ({_show(first_value)}{unit}) "
                           f"and '{phrase}' ({_show(value)}{unit})")
    return reasons


def _show(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _number(text: str) -> float:
    text = text.strip()
    if text in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[text])
    return float(text.replace(",", "."))


def _take_fps(scan: _Scanner) -> list[tuple[float, str]]:
    pattern = (r"(" + _NUM + r")\s*(?:fps|frames?\s+per\s+second|frames?/s|bilder\s+pro\s+sekunde|"
               r"fotogramas\s+por\s+segundo|images\s+par\s+seconde|ips|i/s|bps)")
    return [(_number(m.group(1)), _phrase(m)) for m in scan.take(pattern)]


def _take_height(scan: _Scanner) -> int | None:
    height = None
    for m in scan.take(r"(\d{3,4})p|4k|uhd|full\s*hd"):
        value = int(m.group(1)) if m.group(1) else (2160 if m.group(0) in ("4k", "uhd") else 1080)
        if height is None and 144 <= value <= 2160:
            height = value
    return height


def _take_durations(scan: _Scanner) -> list[tuple[float, str]]:
    """Every stated reel length with its phrase, in order of appearance."""
    found: list[tuple[int, float, str]] = []

    def collect(pattern: str, value_of) -> None:  # noqa: ANN001 - a small local callback
        for m in scan.take(pattern):
            before, after = scan.text[max(0, m.start() - 20):m.start()], scan.text[m.end():m.end() + 30]
            if _NOT_LENGTH_BEFORE.search(before) or _NOT_LENGTH_AFTER.search(after):
                continue
            value = value_of(m)
            if value is not None and value > 0:
                found.append((m.start(), value, _phrase(m)))

    def clock(m: re.Match[str]) -> float | None:
        if m.group(0).startswith("9:16"):
            return None
        return float(int(m.group(1)) * 60 + int(m.group(2)))

    def seconds(m: re.Match[str]) -> float | None:
        after = scan.text[m.end():m.end() + 20]
        apostrophe = m.start() > 0 and scan.text[m.start() - 1] == "'"
        if _DECADE.match(m.group(0)) and (apostrophe or _DECADE_AFTER.match(after)):
            return None  # "90s style", "'80s vibe": a decade, not a length
        return _number(m.group(1))

    collect(r"(?<![\d:])(\d{1,2}):([0-5]\d)(?![\d:])(?:\s*" + _MIN + r")?", clock)
    collect(r"(\d+)\s*" + _MIN + r"\s*(?:and\s+|und\s+|y\s+|et\s+)?(\d{1,2})\s*" + _SEC,
            lambda m: float(int(m.group(1)) * 60 + int(m.group(2))))
    collect(r"(\d+)m(\d{1,2})s?", lambda m: float(int(m.group(1)) * 60 + int(m.group(2))))
    collect(r"(?:a\s+|one\s+|eine\s+|un\s+|une\s+)?(?:minute\s+and\s+a\s+half|and\s+a\s+half\s+minutes|"
            r"anderthalb\s+minuten|eineinhalb\s+minuten|minuto\s+y\s+medio|minute\s+et\s+demie)", lambda m: 90.0)
    collect(r"half\s+a\s+minute|(?:eine\s+)?halbe\s+minute|medio\s+minuto|(?:une\s+)?demi-?\s?minute",
            lambda m: 30.0)
    collect(r"(" + _NUM + r"|" + _NUMBER_WORD_RE + r")\s*-?\s*" + _MIN, lambda m: _number(m.group(1)) * 60)
    collect(r"(?:a|one|eine|ein|un|une|uno)\s+" + _MIN, lambda m: 60.0)
    collect(r"(" + _NUM + r")\s*-?\s*" + _SEC, seconds)
    collect(r"(" + _NUMBER_WORD_RE + r")\s*-?\s*(?:seconds?|secondes?|sekunden|segundos?)",
            lambda m: _number(m.group(1)))
    return [(value, phrase) for _, value, phrase in sorted(found)]


def _take_prohibitions(scan: _Scanner) -> dict[str, object]:
    fields: dict[str, object] = {}
    if found := scan.take(_STRICT_NO_TRANSITIONS):
        fields["no_transitions"] = fields["hard_cuts"] = _phrase(found[0])
    # "hard cuts" stays in the text: it is also the subject of a cut rhythm ("hard cuts on every beat").
    soft = re.search(_words(_SOFT_HARD_CUTS), scan.text)
    if soft and "hard_cuts" not in fields:
        fields["hard_cuts"] = _phrase(soft)
    if found := scan.take(_NO_EFFECTS):
        fields["no_effects"] = _phrase(found[0])
    if found := scan.take(_SHOWCASE):
        fields["showcase"] = _phrase(found[0])
    banned: dict[str, str] = {}
    for pattern, kind in _NO_EFFECT_KIND:
        if found := scan.take(pattern):
            banned.setdefault(kind, _phrase(found[0]))
    if banned:
        fields["banned_effects"] = tuple(sorted(banned))
        fields["banned_phrases"] = banned
    return fields


def _take_aspects(scan: _Scanner) -> list[tuple[str, str]]:
    strong: list[tuple[int, str, str]] = []
    for pattern, aspect in _RATIO_ASPECTS:
        strong += [(m.start(), aspect, _phrase(m)) for m in scan.take(r"(?<![\d.])" + pattern + r"(?![\d.])",
                                                                      whole_words=False)]
    for pattern, aspect in _WORD_ASPECTS:
        strong += [(m.start(), aspect, _phrase(m)) for m in scan.take("(?:" + pattern + ")" + _NOT_FORMAT_AFTER)]
    weak: list[tuple[int, str, str]] = []
    for pattern, aspect in _PLATFORM_ASPECTS:
        weak += [(m.start(), aspect, _phrase(m)) for m in scan.take(pattern)]
    chosen = sorted(strong) or sorted(weak)[:1]
    return [(aspect, phrase) for _, aspect, phrase in chosen]


def _take_style(scan: _Scanner, language: Language) -> dict[str, object]:
    found: list[tuple[int, bool, str, str]] = []
    for pattern, style, is_genre in _STYLE_WORDS:
        if style == "montage" and language == "fr":
            continue  # in French "un montage" is any edit, not the montage style
        for m in scan.take("(?:" + pattern + ")" + _NOT_A_STYLE_AFTER):
            found.append((m.start(), is_genre, style, _phrase(m)))
    if not found:
        return {}
    found.sort()
    styles = tuple(dict.fromkeys(style for _, _, style, _ in found))
    genres = [f for f in found if f[1]]
    _, _, style, phrase = (genres or found)[0]
    return {"style": style, "style_phrase": phrase, "styles": styles}


def _take_clause_items(scan: _Scanner) -> list[_Item]:
    items: list[_Item] = []
    for pattern, name in _TRANSITION_WORDS:
        full = _TRANSITION_PREFIX + "(?:" + pattern + ")" + _TRANSITION_SUFFIX
        items += [_Item(m.start(), m.end(), "transition", name, _phrase(m)) for m in scan.take(full)]
    items += [_Item(m.start(), m.end(), "cut_trigger", "cuts", _phrase(m)) for m in scan.take(_CUT_TRIGGER)]
    for pattern, kind in _EFFECT_WORDS:
        items += [_Item(m.start(), m.end(), "effect", kind, _phrase(m)) for m in scan.take(pattern)]
    for m in scan.take(_NUMERIC_RHYTHM):
        count = int(_number(m.group(1)))
        beats = count * (4 if not m.group(2).startswith(("beat", "schl", "golpe", "tiempo", "temps")) else 1)
        if beats in _BEATS_TO_RHYTHM:
            items.append(_Item(m.start(), m.end(), "rhythm", (_BEATS_TO_RHYTHM[beats], True), _phrase(m)))
    for pattern, rhythm, strong in _RHYTHM_WORDS:
        items += [_Item(m.start(), m.end(), "rhythm", (rhythm, strong), _phrase(m)) for m in scan.take(pattern)]
    items += [_Item(m.start(), m.end(), "scope", "drops", _phrase(m)) for m in scan.take(_DROP_SCOPE)]
    items += [_Item(m.start(), m.end(), "intensity", 0.9, _phrase(m)) for m in scan.take(_STRONG_WORDS)]
    items += [_Item(m.start(), m.end(), "intensity", 0.3, _phrase(m)) for m in scan.take(_SUBTLE_WORDS)]
    items += [_Item(m.start(), m.end(), "cut", None, _phrase(m)) for m in scan.take(_CUT_WORDS)]
    generic = scan.take(_GENERIC_TRANSITION)
    if not any(i.kind == "transition" for i in items):  # "transitions" alone asks for the default fade
        items += [_Item(m.start(), m.end(), "generic_transition", "fade", _phrase(m)) for m in generic]
    return sorted(items, key=lambda i: (i.pos, i.end))


_CLAUSE_BREAK = re.compile(r"[,;!?\n()]|\.(?:\s|$)|\s(?:but|then|aber|dann|pero|luego|mais|puis)\s")
_CONNECTOR = re.compile(r"^\s*(?:and|&|\+|/|und|y|e|et|or|oder|o|ou)?\s*$")


def _group_by_subject(items: list[_Item], text: str) -> list[tuple[_Item | None, list[_Item]]]:
    """Tie each modifier (rhythm, scope, trigger, intensity) to the subject it describes.

    Within a clause a modifier belongs to the nearest subject before it ("cut every beat, flash on
    the drops"); one that opens a clause belongs to the subject right after it if that subject has
    no trigger of its own ("on every drop a flash"), else to the cuts. A list of effects joined by
    "and" shares the modifiers of the last one ("flash and shake on the drops").
    """
    breaks = [m.start() for m in _CLAUSE_BREAK.finditer(text)]
    clauses: dict[int, list[_Item]] = {}
    for item in items:
        clauses.setdefault(sum(b < item.pos for b in breaks), []).append(item)

    groups: list[tuple[_Item | None, list[_Item]]] = []
    for clause in clauses.values():
        local: list[tuple[_Item | None, list[_Item]]] = []
        leading: list[_Item] = []
        for item in clause:
            if item.is_subject:
                local.append((item, []))
            elif local:
                local[-1][1].append(item)
            else:
                leading.append(item)
        if leading:
            first_subject = local[0] if local else None
            takes_leading = first_subject is not None and (
                first_subject[0].kind == "cut"
                or not any(i.kind in ("rhythm", "scope", "cut_trigger") for i in first_subject[1]))
            if takes_leading:
                first_subject[1][:0] = leading
            else:
                local.insert(0, (None, leading))
        for index in range(len(local) - 2, -1, -1):
            subject, modifiers = local[index]
            following, following_mods = local[index + 1]
            if (subject is not None and subject.kind == "effect" and not modifiers
                    and following is not None and following.kind == "effect"
                    and _CONNECTOR.match(text[subject.end:following.pos])):
                modifiers.extend(following_mods)
        groups += local
    return groups


def _read_groups(groups: list[tuple[_Item | None, list[_Item]]]
                 ) -> tuple[list[tuple[Scope, Rhythm, str]], list[TransitionAsk], list[EffectAsk]]:
    rhythms: list[tuple[Scope, Rhythm, str]] = []
    transitions: list[TransitionAsk] = []
    effects: list[EffectAsk] = []
    for subject, modifiers in groups:
        scopes = [m for m in modifiers if m.kind == "scope"]
        if subject is None or subject.kind == "cut":
            strong = [m for m in modifiers if m.kind == "rhythm" and m.value[1]]  # type: ignore[index]
            for rhythm in strong:
                nearest = min(scopes, key=lambda s: abs(s.pos - rhythm.pos), default=None)
                scope: Scope = nearest.value if nearest is not None else "all"  # type: ignore[assignment]
                rhythms.append((scope, rhythm.value[0], rhythm.phrase))  # type: ignore[index]
        elif subject.kind in ("transition", "generic_transition"):
            scope = scopes[0].value if scopes else "all"  # type: ignore[assignment]
            every = 1 if any(m.kind == "cut_trigger" for m in modifiers) else None
            expr = GLITCH_XFADE_EXPR if subject.value == "custom" else None
            transitions.append(TransitionAsk(str(subject.value), subject.phrase, expr, scope, every))
        else:
            effects += _effect_asks(subject, modifiers)
    return rhythms, transitions, effects


def _effect_asks(subject: _Item, modifiers: list[_Item]) -> list[EffectAsk]:
    kind: EffectKind = subject.value  # type: ignore[assignment]
    intensity = next((float(m.value) for m in modifiers if m.kind == "intensity"), None)  # type: ignore[arg-type]
    scopes = {m.value for m in modifiers if m.kind == "scope"}
    beat_phrases = [m for m in modifiers if m.kind == "rhythm"]
    asks = []
    if beat_phrases:
        scope: Scope = "drops" if "drops" in scopes else "calm" if "calm" in scopes else "all"
        for phrase in beat_phrases:
            rhythm: Rhythm = phrase.value[0]  # type: ignore[index]
            on, every = _rhythm_as_trigger(rhythm)
            asks.append(EffectAsk(kind, f"{subject.phrase} {phrase.phrase}", on, every, scope, intensity))
    elif any(m.kind == "cut_trigger" for m in modifiers):
        asks.append(EffectAsk(kind, subject.phrase, "cuts", 1, "all", intensity))
    elif "drops" in scopes:
        asks.append(EffectAsk(kind, subject.phrase, "drops", 1, "drops", intensity))
    else:
        asks.append(EffectAsk(kind, subject.phrase, None, 1, "calm" if "calm" in scopes else "all", intensity))
    return asks


def _rhythm_as_trigger(rhythm: Rhythm) -> tuple[EffectTrigger, int]:
    beats = RHYTHM_BEATS[rhythm]
    return ("beats", beats) if beats < 4 else ("downbeats", beats // 4)
