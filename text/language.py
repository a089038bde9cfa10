"""A light language guesser: the writing system first, then function-word ratios.

Claim scoring is English-only, so what matters is telling English from everything else
reliably on article-length text; naming the other language is a courtesy. Short lists of
the commonest function words do that without a model file or another dependency.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# The commonest function words of each language. Words shared between lists count for
# each list only in proportion (see _WEIGHTS), so closely related languages still separate.
_FUNCTION_WORDS: dict[str, str] = {
    "en": "the and of to in is that for it was on with as are be by this have from at not but "
    "they has which were their been will would an or he she we said its had who",
    "fr": "le la les des du de et est un une que qui dans pour pas sur au aux avec par ce cette "
    "il elle ont sont été mais ou se plus leur nous vous être avait était",
    "de": "der die das und ist nicht ein eine den dem des mit sich auf für von zu im auch es "
    "sie wir ich wird sind wurde bei aus nach noch oder aber wie dass einer",
    "es": "el la los las de del y que en un una es por para con no se su sus al lo como más "
    "pero fue ha este esta son está sobre entre también cuando hay",
    "it": "il lo la gli le di del della che e è un una per con non si da sono nel nella dei "
    "delle alla al anche come più ma questo questa ha essere stato",
    "pt": "o a os as de do da dos das que e é um uma para com não em no na nos por se mais "
    "foi como ao seu sua são pelo pela também está",
    "nl": "de het een en van is dat niet op te in zijn met voor er aan ook als bij door maar "
    "om dan werd worden hij ze wij deze dit naar nog wordt heeft",
    "sv": "och att det som en ett är av för på med den till inte har de om var jag men vi "
    "kan så från sig sina också eller när efter hade vid han",
    "da": "og at det som en et er af for på med den til ikke har de om var jeg men vi kan så "
    "fra sig også eller når efter havde ved han der blev",
    "no": "og å det som en et er av for på med den til ikke har de om var jeg men vi kan så "
    "fra seg også eller når etter hadde ved han der ble",
    "fi": "ja on ei se että hän oli ovat mutta kun myös tai sen ole jos joka tämä niin kuin "
    "mitä vain nyt hänen olla voi jo sitä sekä kanssa",
    "pl": "i w na z się nie do to że jest o jak po co ale od za przez są dla jego tak tym "
    "czy być był była które który także jednak",
    "tr": "ve bir bu da de için ile olarak çok daha gibi olan en ne ama sonra kadar değil "
    "var yok her ya şu o mi ise tarafından",
    "hu": "a az és hogy nem is egy de van meg már csak volt ez mint el ki fel még mert vagy "
    "azt lesz sem kell nagyon után között pedig amely",
    "cs": "a se na je že v to s z do o ve jako by pro ale jsou jak tak jsem které který která "
    "nebo už při jeho také byl bylo",
    "ro": "și în de la cu pe nu care mai este un o din pentru să se au ca a fost sunt dar sau ce după prin",
    "id": "yang dan di ini itu dengan untuk tidak dari dalam akan pada juga ke karena ada bisa "
    "oleh adalah saya sudah mereka",
    "ru": "и в не на что с по как это он она из за от для но так все его к о же был была "
    "были бы только уже или при этом",
    "uk": "і в не на що з по як це він вона із за від для але так все його до про же був "
    "була були б тільки вже або при цьому",
}

_LISTS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()
}
_SHARED = Counter(word for words in _LISTS.values() for word in words)
_WEIGHTS: dict[str, dict[str, float]] = {
    lang: {word: 1.0 / _SHARED[word] for word in words} for lang, words in _LISTS.items()
}

# Scripts that name their language outright (or nearly: Han without kana is taken as Chinese).
_SCRIPT_LANG = {
    "GREEK": "el",
    "HEBREW": "he",
    "ARABIC": "ar",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "THAI": "th",
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "CJK": "zh",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}
_PERSIAN_LETTERS = frozenset("پچژگ")

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Below these, a guess is noise: a caption or a menu is not evidence of a language.
_MIN_WORDS = 8
_MIN_SCORE = 0.08
_SAMPLE_CHARS = 6000


def _script_of(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def _dominant_script(text: str) -> str:
    scripts = Counter(_script_of(ch) for ch in text if ch.isalpha())
    if not scripts:
        return ""
    total = sum(scripts.values())
    script, count = scripts.most_common(1)[0]
    kana = scripts["HIRAGANA"] + scripts["KATAKANA"]
    # Japanese mixes kana with Han; a real share of kana among them makes it Japanese.
    if script in ("CJK", "HIRAGANA", "KATAKANA") and kana > 0.1 * (kana + scripts["CJK"]):
        return "HIRAGANA"
    return script if count / total > 0.5 else ""


def detect_language(text: str) -> str:
    """Guess the ISO 639-1 code of `text`; "" when there is too little to tell."""
    sample = unicodedata.normalize("NFC", text[:_SAMPLE_CHARS])
    script = _dominant_script(sample)
    if script == "ARABIC" and any(ch in _PERSIAN_LETTERS for ch in sample):
        return "fa"
    if script in _SCRIPT_LANG:
        return _SCRIPT_LANG[script]
    if script not in ("LATIN", "CYRILLIC"):
        return ""

    words = [word.casefold() for word in _WORD.findall(sample)]
    if len(words) < _MIN_WORDS:
        return ""
    counts = Counter(words)
    scores = {
        lang: sum(weights.get(word, 0.0) * n for word, n in counts.items()) / len(words)
        for lang, weights in _WEIGHTS.items()
    }
    best = max(scores, key=scores.__getitem__)
    if scores[best] >= _MIN_SCORE:
        return best
    # Cyrillic prose with few of the listed words is still far likelier Russian than not.
    return "ru" if script == "CYRILLIC" else ""
