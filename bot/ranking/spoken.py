"""Make a voice-note transcript read like what was typed: spoken numbers as digits ("four oh four" → 404), so
status and exit codes meet the knowledge base's own."""

from __future__ import annotations

import re
from http import HTTPStatus

UNITS = {w: str(n) for n, w in enumerate("zero one two three four five six seven eight nine".split())} | {"oh": "0"}
TEENS = {
    w: str(n + 10)
    for n, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())
}
TENS = {w: str(n * 10 + 20) for n, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
NUMBER_WORDS = UNITS.keys() | TEENS.keys() | TENS.keys() | {"hundred"}
NUMBER_WORD = re.compile(r"\b(?:" + "|".join(sorted(NUMBER_WORDS)) + r")\b", re.IGNORECASE)
SPELLED_DIGITS = re.compile(r"\b\d{1,2}(?:-\d{1,2}){1,2}\b")  # "5-0-3", "4-22": a status code said in parts
# speech recognition writes "four twenty-nine" as "for 29"; not "for 10 minutes" or "for 15 people"
MEASURES = "m?s secs? seconds? mins? minutes? hours? days? weeks? months? years? times people users? percent".split()
HEARD_FOUR = re.compile(rf"\b(?:for|four)[ -](\d\d)\b(?![.:,]\d)(?! (?:{'|'.join(MEASURES)})\b)", re.IGNORECASE)
CLIENT_ERRORS = frozenset(str(status.value) for status in HTTPStatus if 400 <= status < 500)


def spoken_numbers(text: str) -> str:
    """Runs of number words as digits: "five oh three" → 503, "four twenty-two" → 422, "twenty two" → 22.
    A lone unit word ("the one I want") stays a word; digits said one by one ("5-0-3") are joined. Lines
    without a number word are left exactly as they are."""
    return "\n".join(numbers_in_line(line) for line in text.split("\n"))


def heard_numbers(text: str) -> str:
    """What speech recognition wrote, numbers as the speaker meant them: `spoken_numbers`, and a client-error status
    written as "for" and its last two digits ("shows up for 29 error") joined into the status (429). A number followed
    by a unit ("for 10 minutes") or that makes no status ("for 30") stays as it is."""
    return HEARD_FOUR.sub(heard_status, spoken_numbers(text))


def heard_status(match: re.Match[str]) -> str:
    """The status "for" and two digits say, when they say one; else the words as they were."""
    status = "4" + match.group(1)
    return status if status in CLIENT_ERRORS else match.group()


def numbers_in_line(line: str) -> str:
    """One line with its number-word runs as digits."""
    line = SPELLED_DIGITS.sub(joined_code, line)
    if not NUMBER_WORD.search(line):
        return line
    out: list[str] = []
    run: list[str] = []
    for word in re.split(r"\s+|(?<=ty)-(?=[a-z])", line.strip()):
        key = word.lower().strip(".,?!")
        if key in NUMBER_WORDS or (key == "and" and run and run[-1].lower() == "hundred"):
            run.append(word)
            continue
        out.extend(as_digits(run))
        run.clear()
        out.append(word)
    out.extend(as_digits(run))
    return " ".join(out)


def joined_code(match: re.Match[str]) -> str:
    """Digit groups that together make a three-digit code, joined ("4-22" → 422); anything else as it was."""
    digits = match.group().replace("-", "")
    return digits if len(digits) == 3 else match.group()


def as_digits(run: list[str]) -> list[str]:
    """The digits a run of number words says, as one word; a lone unit word (or nothing) as it is."""
    keys = [w.lower().strip(".,?!") for w in run]
    tail = run[-1:] if keys[-1:] == ["and"] else []  # "four hundred and the page..." keeps its "and"
    keys = keys[: len(keys) - len(tail)]
    if not keys or (len(keys) == 1 and keys[0] in UNITS):
        return list(run)
    digits, i = "", 0
    while i < len(keys):
        value, i = two_digits(keys, i)
        if i < len(keys) and keys[i] == "hundred" and len(value) == 1:
            i += 1 + (keys[i + 1 : i + 2] == ["and"])
            rest, i = two_digits(keys, i) if i < len(keys) else ("0", i)
            value = str(int(value) * 100 + int(rest or 0))
        digits += value
    return [digits, *tail] if digits else list(run)


def two_digits(keys: list[str], i: int) -> tuple[str, int]:
    """The number at keys[i] (a unit, a teen, or a tens word with its unit) and where the next one starts."""
    key = keys[i]
    if key in TENS and keys[i + 1 : i + 2] and keys[i + 1] in UNITS and keys[i + 1] not in ("zero", "oh"):
        return str(int(TENS[key]) + int(UNITS[keys[i + 1]])), i + 2
    return UNITS.get(key) or TEENS.get(key) or TENS.get(key, ""), i + 1
