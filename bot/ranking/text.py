"""How ranking reads text: one tokenizer, one error-code detector and the error lines of a screen or log, all
tolerant of what OCR and speech recognition confuse (`_`/space/`-`, O/0, l/1/I, rn/m)."""

from __future__ import annotations

import errno
import importlib.resources
import re
from collections.abc import Iterable, Sequence, Set
from difflib import SequenceMatcher
from functools import lru_cache
from http import HTTPStatus

# what recognisers read for one another, made one character (applied to lower-cased text)
CONFUSABLE = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "!": "l"})
STOPWORDS = frozenset(
    "a an and are as at be but by can do does for from get gets got has have i if in is it its me my no not of on "
    "or our says say so that the then there this to up was we when which while with you your just all any shows "
    "showing page error".split()
)


def fold(text: str) -> str:
    """`text` lower-cased with confusable characters made one, so a recogniser's slip still matches."""
    return text.lower().replace("rn", "m").translate(CONFUSABLE)


WORD = re.compile(r"[a-z0-9]+(?:[_.][a-z0-9]+)*")
# Chrome's net error names, their parts joined by `_`, `-` or spaces as OCR reads them (`ERR _ INVALID HTTP _RESPONSE`;
# an underscore read as `.` or `,` between two parts: `ERR CONNECTION.CLOSED`; not a list's `, `)
ERR_NAME = r"\bERR(?:(?:[ _-]{1,3}|[.,])[A-Z0-9][A-Z0-9Il]*(?![A-Za-z0-9]))+"
ERROR_CLASS = r"\b[A-Z][A-Za-z]+(?:Error|Exception)\b"
# curl's exit code as it prints it, `curl: (60)`, as OCR reads it (`cur1: (52)`, `curl: [28]`)
CURL_EXIT = r"\bcur[l1I|][:;]? ?[(\[] ?\d+ ?[)\]]"
# curl's exit code as people type or say it ("curl fails with error 22", "curl exits 56", "curl exit code 7"): the
# number that names the failure, said after `error`, `exit`, `code` or `status` within a few words of curl
CURL_TOLD = re.compile(
    r"(?i)\bcurl\b[^\n.;]{0,40}?\b(?:error|exit(?:s|ed)?|code|status)\b(?: (?:code|status|with))*"
    r"[: ]+\(?(\d{1,2})(?![\d.])"
)


def words(text: str) -> set[str]:
    """The content words of a text, folded, without stopwords and single characters. Names joined by `_` or `.`
    (`package.json`, `proxy_pass`) stay one word, as they are more telling than their parts; an ERR_* name is one
    word however its parts were read (`ERR_NAME_NOT RESOLVED` is `errnamenotresolved`)."""
    text = re.sub(ERR_NAME, lambda m: f" {code_key(m.group())} ", text)
    return {w for w in WORD.findall(fold(text)) if len(w) > 1 and w not in FOLDED_STOPWORDS}


FOLDED_STOPWORDS = frozenset(fold(w) for w in STOPWORDS)


@lru_cache(maxsize=65536)
def word_grams(word: str) -> frozenset[str]:
    """A word's letter trigrams, its ends marked (`#ec`, `eci`, `cis`, `ist`, `st#`): a word misread by more than a
    letter (`ecisst` for `exist`) still shares most of them."""
    marked = f"#{word}#"
    return frozenset(marked[i : i + 3] for i in range(len(marked) - 2))


def grams(words: Iterable[str]) -> frozenset[str]:
    """The letter trigrams of the words."""
    return frozenset().union(*(word_grams(w) for w in words))


def gram_text(text: str) -> str:
    """The letter trigrams of the text's words, space-separated: what the trigram index holds and is searched with,
    so a word misread by several letters still finds the rows that spell it right."""
    return " ".join(sorted(grams(words(text))))


# the words the reasons of HTTP 4xx and 5xx statuses start with (Python's, and nginx's "401 Authorization Required")
REASON_STARTS = sorted({re.escape(s.phrase.split()[0]) for s in HTTPStatus if s >= 400} | {"Authorization"})
# HTTP statuses (not line numbers, ports, times or parts of addresses; also one OCR read joined to its reason, as
# `404Not Found`), Chrome's ERR_* names (parts joined by `_`, `-` or spaces, as OCR reads them), E-codes, *Error and
# *Exception classes, curl exit codes.
CODE = re.compile(
    r"(?<![\w.:/#-])(?<![Ll]ine )(?<![Pp]ort )[45][0-9Oo][0-9Oo]"
    rf"(?:(?![\w.:%])|(?=(?:{'|'.join(REASON_STARTS)})(?![a-z])))"
    rf"|{ERR_NAME}"
    rf"|\bE[A-Z][A-Z0-9_]{{2,}}\b|{ERROR_CLASS}|{CURL_EXIT}"
)
# an HTTP status right after `ERROR ` whose 5 OCR read as S (Chrome's `HTTP ERROR S03`; its HTTP may be misread too)
STATUS_WITH_S = re.compile(r"(?<=ERROR )S[0-9Oo]{2}(?![\w.:%])")
# the codes that name an error in words, as written: an ERR_* name or an *Error / *Exception class
NAMED_CODE = re.compile(rf"{ERR_NAME}|{ERROR_CLASS}")
# E-codes are errno names (ENOENT, ECONNREFUSED...) and Node/npm's own; other capitalised E-words are words.
E_CODES = frozenset(
    re.sub(r"[^a-z0-9]", "", fold(code))
    for code in [
        *errno.errorcode.values(),
        *"EJSONPARSE ERESOLVE ELIFECYCLE ETARGET EINTEGRITY EBADENGINE ENEEDAUTH ENOVERSIONS ENOTFOUND EAI_AGAIN "
        "EUSAGE EOVERRIDE ENOWORKSPACES ENOTCACHED ECONNABORTED".split(),
    ]
)
LONG_CODE = 12
NAMED_LIKENESS = 0.6  # a long ERR_* name as read is a knowledge base's when at least this alike and nearer to it than
# to any other name programs print (`ERR RESP JLTIPLE ATION`, a forwarded thumbnail's, is 0.68 alike its name)
CLASS_LIKENESS = 0.9  # a long *Error / *Exception class as read, likewise, but only a letter or two off: an app's own
# classes differ by a word (`InvoiceSyncError`, `InvoiceSendError`: 0.88), OCR's slips by a letter or two
# (`ModulellotFoundError` is 0.92 alike ModuleNotFoundError, `OperationaError` 0.97 OperationalError)
ERR_NAMES = "err_names.txt"  # the ERR_* names Chrome, Node.js, axios and pnpm print
CLASS_NAMES = "error_classes.txt"  # the *Error and *Exception classes of Python's standard library and of common
# libraries and languages
E_WORD = re.compile(r"(?!ERR[ _-])E[A-Z][A-Z0-9_]{2,}")


def code_key(code: str) -> str:
    """A code as compared: folded, letters and digits only (`ERR_NAME_NOT RESOLVED` → `errnamenotresolved`)."""
    return re.sub(r"[^a-z0-9]", "", fold(code))


def codes(text: str) -> set[str]:
    """The error codes and names in `text`, as `code_key`s: HTTP statuses (a 5 read as S after `ERROR `), ERR_*
    names, errno and npm E-codes, *Error classes, curl exit codes (as printed, typed or said: `curl: (22)` and "curl
    exits 22" are one code)."""
    keys = {code_key(f"curl: ({number})") for number in CURL_TOLD.findall(text)}
    keys.update(code_key(f"5{found[1:]}") for found in STATUS_WITH_S.findall(text))
    for found in CODE.findall(text):
        key = code_key(found)
        if not E_WORD.fullmatch(found) or key in E_CODES:
            keys.add(key)
    return keys


@lru_cache(maxsize=4096)
def read_as(read: str, known: frozenset[str]) -> frozenset[str]:
    """The codes of `known` (a knowledge base's) that the code key `read` (a query's, as a recogniser read it) names:
    itself when it is one of them; else, for a long ERR_* name or *Error / *Exception class, the nearest of them of
    its kind when at least `NAMED_LIKENESS` (`CLASS_LIKENESS`) alike (letters misread or lost: `errnamen0tresolved`,
    `ERR RESP JLTIPLE ATION` for ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION, `ModulellotFoundError`) and no other name
    programs print is nearer, so that ERR_CONNECTION_RESET is never ERR_CONNECTION_REFUSED. Short codes and classes
    must be equal."""
    if read in known:
        return frozenset({read})
    kind = name_kind(read)
    if len(read) < LONG_CODE or kind is None:
        return frozenset()
    alike = {code: likeness(read, code) for code in known if len(code) >= LONG_CODE and name_kind(code) == kind}
    best = max(alike.values(), default=0.0)
    if best < (NAMED_LIKENESS if kind == ERR_NAMES else CLASS_LIKENESS) or best < nearest_name(read, kind):
        return frozenset()
    return frozenset(code for code, value in alike.items() if value == best)


CLASS_ENDS = (fold("error"), fold("exception"))  # as a code key spells them (`exceptlon`: its i folded)


def name_kind(key: str) -> str | None:
    """Which list of names a code key is of: `ERR_NAMES` for an ERR_* name, `CLASS_NAMES` for an *Error or
    *Exception class; None for a status, an E-code or a curl exit code."""
    if key.startswith("err"):
        return ERR_NAMES
    return CLASS_NAMES if key.endswith(CLASS_ENDS) else None


def likeness(a: str, b: str) -> float:
    """How alike two code keys are: twice their characters in common, in order, over their total length."""
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


@lru_cache(maxsize=4096)
def nearest_name(read: str, kind: str) -> float:
    """How alike `read` is to the name of its kind (`name_kind`) programs print that is nearest to it (1.0 when it
    is one)."""
    names = program_names(kind)
    if read in names:
        return 1.0
    best = 0.0
    for name in names:
        matcher = SequenceMatcher(None, read, name, autojunk=False)
        if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
            best = max(best, matcher.ratio())
    return best


@lru_cache(maxsize=2)
def program_names(kind: str) -> frozenset[str]:
    """The code keys of the names programs print that the file `kind` lists (`ERR_NAMES`: the ERR_* names Chrome,
    Node.js, axios and pnpm print; `CLASS_NAMES`: common *Error and *Exception classes), read once."""
    text = importlib.resources.files("bot.ranking").joinpath(kind).read_text(encoding="utf-8")
    return frozenset(code_key(name) for line in text.splitlines() if not line.startswith("#") for name in line.split())


TOLD_NAME_WORDS = 6  # the most words a name is told in ("response headers multiple location")
TOLD_IN_FULL = 3  # an ERR_* name told without its `err`, or a status by its reason, needs this many words: shorter
# ones ("not found", "bad request", "connection refused") are everyday words of many failures
TOLD_REASONS = {code_key(s.phrase): code_key(str(s.value)) for s in HTTPStatus if s >= 400}


@lru_cache(maxsize=1024)
def told_names(text: str, known: frozenset[str]) -> frozenset[str]:
    """The codes of `known` (a knowledge base's) that `text`, typed or said, names in separate words: a class as
    "key error" or "module not found error", an ERR_* name as "err invalid http response" or "ssl protocol error",
    a status by its reason ("too many requests" is 429). A run of words is read as the longest name programs print
    that it spells, so "file not found error" is FileNotFoundError, never ERR_FILE_NOT_FOUND."""
    said = re.findall(r"[a-z0-9]+", text.lower())
    found: set[str] = set()
    start = 0
    while start < len(said):
        for count in range(min(TOLD_NAME_WORDS, len(said) - start), 0, -1):
            name = told_name(said[start : start + count], known)
            if name:
                found.update({name} & known)
                start += count
                break
        else:
            start += 1
    return frozenset(found)


def told_name(said: list[str], known: frozenset[str]) -> str | None:
    """The code key of the name programs print (or `known` holds), or of the status, that these words spell
    (`told_names`); None if none."""
    full = len(said) >= TOLD_IN_FULL
    if full and (reason := code_key(" ".join(said))) in TOLD_REASONS:
        return TOLD_REASONS[reason]
    if full or said[0] == "err":
        err = code_key("_".join(said if said[0] == "err" else ["err", *said]))
        if err in known or err in program_names(ERR_NAMES):
            return err
    if not said[-1].endswith(("error", "exception")):
        return None
    joined = code_key("".join(said))
    return joined if joined in known or joined in program_names(CLASS_NAMES) else None


# The kinds of failure people name when they tell one in words ("curl times out", "the API says not found"), each
# with the ways programs print it and people say it ("the database isn't there", "it returns nothing", "postgres keeps
# rejecting my password"), as one key: a question that names a kind its candidate bug never mentions is likely about
# another failure. Only words that say what went wrong, not that something did ("error", "fails", "can't", "broken"),
# nor those people use of any failure ("refuses", "rejects", "missing" alone; "can't find", said of a file as of a
# server's address).
FAILURE_KINDS = {
    "timed out": r"tim(?:e|ed|es|ing)[ -]?outs?",
    "absent": r"not found|no (?:\w+ ){0,3}?found|does ?n[o']?t exist|no such|not exist|"
    r"(?:is|are|was|were) ?n[o']?t there|never heard of",
    "unavailable": r"unavailable",
    "connection refused": r"connection refused|refused (?:the |my |our )?connections?",
    "denied": r"denied|forbidden|not permitted|unauthori[sz]ed|not authori[sz]ed|authori[sz]ation required|"
    r"authentication failed|(?:do|does|did) ?n[o']?t have (?:the )?(?:permission|access|authori[sz]ation)|"
    r"no (?:permission|access) to|(?:rejects?|rejected|rejecting|refuses|refused|refusing) (?:my |the |our )?"
    r"(?:password|login|credentials)",
    "too large": r"too (?:large|big)",
    "reset": r"reset by peer|connection (?:was )?reset|reset(?:s|ting)? (?:the |my |our )?connections?",
    "empty reply": r"empty (?:reply|response)|(?:returns?|returned|returning|gives?|gave|sends?|sent|answers?|answered|"
    r"repl(?:y|ies|ied)|responds?|responded|comes? back|came back)(?: with)? (?:just |absolutely )?nothing",
    "not working": r"is ?n[o']?t working",
    "unreachable": r"can'?t be reached|unreachable|could ?n[o']?t (?:be )?resolved?|not resolved",
    "bad gateway": r"bad gateway",
    "invalid": r"invalid|not (?:a )?valid",
    "unexpected": r"unexpected",
    "undefined": r"undefined|not defined",
    "expired": r"expired",
    "conflict": r"conflicts?",
    "not allowed": r"not allowed",
}
FAILURE_KIND = re.compile("|".join(rf"\b(?P<k{i}>{p})\b" for i, p in enumerate(FAILURE_KINDS.values())), re.I)
FAILURE_KEYS = tuple(FAILURE_KINDS)
# A name tells no failure, whatever its words: a setting's (a command's option `--timeout 60`, a name given a value
# `timeout=5`, a lower-case dotted or snake_case name before its number `proxy_read_timeout 300s`), a file's
# (`check_expired.py`), a path's or an address's (`/api/unavailable-items`, `https://shop.test/not-found`). A name
# printed before its message (`requests.exceptions.ReadTimeout: …`, `socket.timeout: timed out`) or in capitals
# (`ERR_CONNECTION_TIMED_OUT`) is none of these.
NAME = re.compile(
    r"(?<![\w.-])(?:--?[A-Za-z][\w.-]*|[A-Za-z][\w.-]*(?=\s*=)|[a-z][a-zA-Z0-9]*[_.][\w.]*(?=\s*:?\s*\d)|"
    r"(?:[a-z][\w+.-]*://|~?\.{0,2}/)\S*|[\w-]+(?:\.[\w-]+)*\.[a-z]{1,4}\b)"
)


def failure_kinds(text: str) -> frozenset[str]:
    """The kinds of failure `text` names in words (`FAILURE_KINDS`' keys), also in the names programs print
    (`ERR_FILE_NOT_FOUND`, `TimeoutError`: their parts read as words), not in the names of settings, files, paths and
    addresses (`NAME`)."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", NAME.sub(" ", text)).replace("_", " ")
    return frozenset(FAILURE_KEYS[int(m.lastgroup[1:])] for m in FAILURE_KIND.finditer(spaced) if m.lastgroup)


# The engine's one reading of an error line: on a screen (which window failed), in a log (which lines to keep) and
# for ranking. Phrases in any case, "error" and its kin also ending a name (`literal_error`, `handle_exception`: a
# traceback's frames); codes as written: ENOENT, ERR_* names, npm's ERR!, *Error classes, curl's exit codes (`curl:
# (60) SSL certificate problem` names no failure in words), a JSON error's `"detail":` key (also as OCR reads its
# quote: `detai1*:`, `("detail-:`), and an HTTP 4xx/5xx
# before its reason or after HTTP/status/code (so that "450 records" in a log is not one); `timeout` as a word (a
# `timeout_ms` setting is none).
ERROR_LINE = re.compile(
    r"(?i:(?<![a-z])(?:error|fail|fatal|exception|traceback|panic)|refused|denied|invalid|not found|unable|"
    r"cannot|can't|couldn't|could not|\btimed? ?out\b|conflict|unexpected|missing|no such|does not exist|"
    r"doesn't exist|too many|too large|unavailable|forbidden|unauthori[sz]ed|bad gateway|bad request|not allowed|"
    r"rejected|isn't working|can't be reached|unreachable|aborted|segmentation fault|did not match|"
    r"no module named|undefined|permission|exit (?:code|status) [1-9]|reset by peer|empty reply|broken pipe|"
    r"no route to host)|\b[dD]eta[il1|!]{2}[\"'*-]{1,2}:|"
    rf"(?<![\w.])[45]\d\d ?(?=[A-Z])|(?:HTTP\S{{0,32}}|status|code)[ :=]+[45]\d\d\b|{ERR_NAME}|\bERR!|\bE[A-Z]{{3,}}\b|"
    rf"(?<![A-Za-z])[A-Za-z]+(?:Error|Exception)\b|{CURL_EXIT}"
)


# A line of source code (in an editor, or a traceback quoting it): its error words name what the code handles, not a
# failure that happened. A statement that starts with a keyword of the common languages (lower case, as code has
# them; after a closing brace too), or a call of a logger's or console's error method.
SOURCE_CODE = re.compile(
    r"^\s*(?:\}\s*)?(?:(?:def|class|import|from|return|raise|except|try|finally|elif|else|async|await|yield|lambda|function|"
    r"const|let|var|catch|throw|public|private|protected|static|fn|func|if|for|while|with|switch|case)\b(?![.:/-])|"
    r"#include\b|[\w.]+\.(?:error|exception|warn(?:ing)?|fatal|critical)\()"
)


# Lines of code that open with no keyword: a decorator, an assignment, a line that opens or closes a block (ends in
# `:`, `{` or `;`, or is a closing bracket alone).
CODE_LINE = re.compile(r"^\s*(?:@\w|[A-Za-z_][\w.]*(?:\[[^\]]*\])?\s*[-+*/%|&]?=(?!=)|[)\]}]+[,;]?\s*$)|[:{;]\s*$")


def reads_as_code(line: str) -> bool:
    """Whether a line reads as a line of source code, as an editor shows it."""
    return bool(SOURCE_CODE.match(line) or CODE_LINE.search(line))


# a shell's prompt, where a command ran: bash's `user@host:~/dir$` (its `~` often read as `-`), zsh's `user@host dir %`,
# PowerShell's `PS C:\dir>`; not a terminal's title (`user@host: ~/dir`), a mail address, a chat's `# channel`
PROMPT = re.compile(
    r"(?<![\w.-])[\w.-]+@[\w.-]+(?: ?: ?[~/-]\S{0,256}[$#]| [~\w./-]+ ?%)|^\s*PS [A-Z]:\\[^>\n]*>",
    re.MULTILINE,
)


def shows_prompt(line: str) -> bool:
    """Whether a line shows a shell's prompt: a terminal where a command ran."""
    return bool(PROMPT.search(line))


def shows_failure(line: str) -> bool:
    """Whether a line on a screen says something failed: an error line that is not a line of source code (an
    editor's `except Exception:` or `log.error(...)` beside the failing window is not the failure)."""
    return bool(ERROR_LINE.search(line)) and not SOURCE_CODE.match(line)


def error_lines(text: str, limit: int = 8) -> str:
    """The lines that look like an error message (at most `limit`, each once), or "" when none do."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    picked = [line for line in lines if ERROR_LINE.search(line)]
    return "\n".join(dict.fromkeys(picked[:limit]))


def error_words(text: str) -> set[str]:
    """The words of the error a screen or log shows: its error lines as a template (names and addresses masked);
    all its words when no line looks like an error."""
    return words(message_template(error_lines(text)) or text)


# values that differ from one occurrence of an error to the next: double-quoted names (one token: a quoted
# phrase is a message, not a name), also when OCR lost or misread the closing quote (`database "inventory does not
# exist`, `at "db.1nternal⁻ (10.20.0.15)`: a quote opening a word, at a line's start or after a space, `(` or `=`, that
# no closing quote follows on its line within `QUOTE_REACH` characters), IPv4 addresses (with a port), shell prompts;
# masking them leaves the message's template, as log parsers do
QUOTE_REACH = 240
INSTANCE_VALUE = re.compile(
    rf'"[^"\s]*(?:"|$)|(?:^|(?<=[\s(=]))"[^"\s]+(?=\s)(?![^\n]{{0,{QUOTE_REACH}}}\S"(?![^\W_]))|'
    r"\(?\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b\)?|(?<![\w.-])[\w.-]+@[\w.-]+:\S{0,256}[$#]",
    re.MULTILINE,
)


def message_template(text: str) -> str:
    """`text` without the values that change between occurrences of the same error ("" when nothing else is left)."""
    masked = re.sub(r"[ \t]{2,}", " ", INSTANCE_VALUE.sub(" ", text))
    return masked if re.search(r"[^\W\d_]{2,}", masked) else ""


# a commit hash or another hex id, with a digit (`Updating 53604f0..a52ebb6`)
HEX_ID = re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{7,40}\b")
# where a program's output breaks into the pieces it prints: lines, sentences, a colon before a message, quotes (a
# description quotes an error message inside its own sentence)
PIECE = re.compile(r"\n|(?<=[.:;!?])\s+|[\"'`‘’“”]")
MIN_PIECE = 6  # letters; shorter pieces (`error`, `fatal`, what is left of a prompt) are in most programs' output
PIECE_LETTERS = 120  # a piece's letters compared: a longer line (wider than a terminal) is compared by its start
PIECES_READ = 60  # the most pieces of one text compared: a screen's failing window or a log's kept lines fit


def line_keys(text: str) -> tuple[str, ...]:
    """The pieces `text` prints (`PIECE`), each as compared with another's: its letters only, folded, once each, in
    order, once the values that differ between occurrences of one failure are masked (quoted names, addresses,
    prompts, names of settings, files and paths, hex ids; numbers are not letters). One failure prints the same
    pieces wherever it happens; a near relative differs in one (`… before you merge.`, `… before you switch
    branches.`)."""
    masked = HEX_ID.sub(" ", NAME.sub(" ", INSTANCE_VALUE.sub(" ", text)))
    keys = (fold(re.sub(r"[^A-Za-z]", "", piece))[:PIECE_LETTERS] for piece in PIECE.split(masked))
    return tuple(dict.fromkeys(key for key in keys if len(key) >= MIN_PIECE))[:PIECES_READ]


def pieces_alike(asked: Sequence[str], printed: Sequence[str]) -> float:
    """How much of the pieces `asked` (`line_keys`) `printed` prints: each asked piece's `likeness` to the printed
    one most alike in letter trigrams (their Dice coefficient: found fast, and a misread letter costs only a few
    trigrams), weighed by its length; 1 when every piece is printed as it is."""
    total = sum(len(key) for key in asked)
    if not total or not printed:
        return 0.0
    others = [(key, word_grams(key)) for key in printed]
    alike = 0.0
    for key in asked:
        mine = word_grams(key)
        nearest = max(others, key=lambda other: len(mine & other[1]) / (len(mine) + len(other[1])))[0]
        alike += len(key) * likeness(key, nearest)
    return alike / total


MIN_SPELLED = 5  # shorter words are a letter away from too many others to be read as one of them


def respelled(asked: Iterable[str], known: Set[str]) -> dict[str, str]:
    """Each word of `asked` that is not in `known` but one edit away (a letter misread, added, dropped or two
    swapped, as OCR, speech recognition and typing slip: `ecist`, `databse`) from exactly one word of it, mapped to that
    word; words shorter than `MIN_SPELLED` are left as they are."""
    keys: dict[str, set[str]] = {}
    for word in asked:
        if len(word) >= MIN_SPELLED and word not in known:
            for key in deletions(word):
                keys.setdefault(key, set()).add(word)
    near: dict[str, set[str]] = {}
    for word in known:
        if len(word) >= MIN_SPELLED - 1:
            for key in deletions(word):
                for misread in keys.get(key, ()):
                    if one_edit(misread, word):
                        near.setdefault(misread, set()).add(word)
    return {misread: next(iter(found)) for misread, found in near.items() if len(found) == 1}


def deletions(word: str) -> set[str]:
    """The word and every string it makes with one letter dropped."""
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def one_edit(a: str, b: str) -> bool:
    """Whether two different words are one substitution, insertion, deletion or swap of neighbours apart."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    start = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if len(a) == len(b):
        swapped = a[start + 1 : start + 2] == b[start : start + 1] and a[start : start + 1] == b[start + 1 : start + 2]
        return a[start + 1 :] == b[start + 1 :] or (swapped and a[start + 2 :] == b[start + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[start + 1 :] == shorter[start:]


def matching_line(query: str, knowledge: str) -> str:
    """The line of `query` that best shows why it met `knowledge`: the one sharing the most (by length) words
    with it, an error line first when one shares any; "" when no line shares a word."""
    known = words(knowledge)
    lines = [line.strip() for line in query.splitlines() if line.strip()]
    for pool in ([line for line in lines if ERROR_LINE.search(line)], lines):
        shared = [(sum(len(w) for w in words(line) & known), -i) for i, line in enumerate(pool)]
        score, position = max(shared, default=(0, 0))
        if score:
            return pool[-position]
    return ""
