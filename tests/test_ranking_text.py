"""bot.ranking.text: the one tokenizer and code detector, tolerant of recogniser slips; the error lines of a screen,
their template, and the line that shows why a query met a knowledge text."""

from __future__ import annotations

import time

import pytest

from bot.ranking.text import (
    codes,
    error_lines,
    failure_kinds,
    fold,
    line_keys,
    matching_line,
    message_template,
    one_edit,
    pieces_alike,
    read_as,
    reads_as_code,
    respelled,
    shows_failure,
    shows_prompt,
    told_names,
    words,
)

SCREEN = """maya@lumen-dev: ~/lumen-orders
maya@lumen-dev:~/lumen-orders$ psql -h 127.0.0.1 -U lumen orders
psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused
B
maya@lumen-dev:~/lumen-orders$"""
KNOWLEDGE = """B
maya@lumen-dev: ~/lumen-orders
psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused
Is the server running on that host and accepting TCP/IP connections?"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This page isn't working\nHTTP ERROR 401\nReload", {"4ol"}),
        ("502 Bad Gateway\nnginx/1.22.1", {"5o2"}),
        ("npm ERR! code ENOENT\nnpm ERR! syscall open", {"enoent"}),
        ("npm error code EJSONPARSE", {"ejsonparse"}),
        ("This site can't be reached ERR_CONNECTION_REFUSED", {"errconnectlonrefused"}),
        ("curl: (7) Failed to connect to localhost port 8080", {"curl7"}),
        ("curl:(56) Recv failure", {"curl56"}),
        ("cur1: (52) Empty reply from server", {"curl52"}),  # a terminal font's l read as 1
        ("curl: [28] Operation timed out", {"curl28"}),
        # curl's exit code as people type or say it is the code curl prints
        ("our health check curl fails with error 22, says the url returned an error", {"curl22"}),
        ("curl with -f exits 22 on the status endpoint", {"curl22"}),
        ("Curl gives me error 56, something about receiving", {"curl56"}),
        ("the nightly curl exited with code 7", {"curl7"}),
        ("curl: (22) The requested URL returned error: 404", {"curl22", "4o4"}),
        ("curl times out after 2 seconds with 0 bytes received", set()),
        # a status OCR read joined to its reason is still the status; a unit after a number is none
        ("404Not Found\nnginx/1.22.1", {"4o4"}),
        ("503Service Temporarily Unavailable", {"5o3"}),
        ("This page isn't working\nHTTP ERROR S03", {"5o3"}),  # Chrome's status, its 5 read as S
        ("S03E02 of the series, ERROR S-03", set()),
        ("uplink capped at 400Kbps, 500Mb left", set()),
        ("KeyError: 'price'", {"keyerror"}),
        ("EOFError: EOF when reading a line", {"eoferror"}),
        # words in capitals, line numbers, ports, addresses and times are not codes
        ("ERROR: could not open requirements file", set()),
        ('File "/srv/app.py", line 415, in cart', set()),
        ("connection to server at 10.0.3.12, port 443 failed at 10:45:01", set()),
        ("EXPIRED SESSION - ENTER PASSWORD", set()),
    ],
)
def test_codes_are_error_codes_not_ordinary_numbers_or_capitals(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


@pytest.mark.parametrize(
    "misread",
    [
        "ERR_NAME_NOT RESOLVED",  # an underscore read as a space
        "ERR _ NAME NOT _RESOLVED",  # an underscore read with a space each side, or beside one
        "ERR NAME-NOT_RESOLVED",
        "ERR_NAME_N0T_RES0LVED",  # O read as 0
        "ERR_NAME_NOT_RESOIVED",  # l read as I
        "ERR_NAME_NQT_RESOLVED",  # a letter misread outright
        "ERR_NAME.NOT_RESOLVED",  # an underscore read as a full stop...
        "ERR,NAME_NOT_RESOLVED",  # ...or as a comma
    ],
)
def test_a_code_read_with_a_recogniser_slip_is_still_the_same_code(misread: str) -> None:
    (read,) = codes(f"This site can't be reached\n{misread}\nReload")
    (known,) = codes("ERR_NAME_NOT_RESOLVED")
    assert read_as(read, frozenset({known})) == {known}


@pytest.mark.parametrize(
    ("read", "known"),
    [
        ("ERR RESP JLTIPLE ATION", "ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION"),  # a forwarded thumbnail: parts lost
        ("ERR_CONNECTION_RESFT", "ERR_CONNECTION_RESET"),  # nearer RESET than REFUSED
        ("ERR_BLOCKED_BY_0RB", "ERR_BLOCKED_BY_ORB"),
        ("ERR_WIDGET_QUOTA_EXCEDED", "ERR_WIDGET_QUOTA_EXCEEDED"),  # a name no program on the list prints
    ],
)
def test_a_long_name_read_with_letters_misread_or_lost_is_the_name_nearest_it(read: str, known: str) -> None:
    (read_key,), (known_key,) = codes(read), codes(known)
    assert read_as(read_key, frozenset({known_key})) == {known_key}


@pytest.mark.parametrize(
    ("read", "known"),
    [
        ("ERR_CONNECTION_RESET", "ERR_CONNECTION_REFUSED"),  # 0.89 alike: two of Chrome's names all the same
        ("ERR_CONNECTION_CLOSED", "ERR_CONNECTION_RESET"),
        ("ERR_TOO_MANY_REDIRECTS", "ERR_TOO_MANY_RETRIES"),
        ("ERR_MODULE_NOT_FOUND", "ERR_FILE_NOT_FOUND"),  # Node's, not Chrome's
        ("ERR_CONNECTION_RESFT", "ERR_CONNECTION_REFUSED"),  # a slip of the other name
    ],
)
def test_two_names_programs_print_are_never_taken_for_one_another(read: str, known: str) -> None:
    (read_key,), (known_key,) = codes(read), codes(known)
    assert not read_as(read_key, frozenset({known_key}))


@pytest.mark.parametrize(
    ("read", "known"),
    [
        ("ModuieliotFoundError", "ModuleNotFoundError"),  # a phone photo's traceback
        ("JsoNbecodeError", "JSONDecodeError"),  # a forwarded thumbnail's
        ("OperationaError", "OperationalError"),
        ("IllegalArqumentException", "IllegalArgumentException"),  # an *Exception class too
    ],
)
def test_a_long_class_read_a_letter_or_two_off_is_the_knowledge_base_s_class(read: str, known: str) -> None:
    (read_key,), (known_key,) = codes(f"{read}: x"), codes(f"{known}: x")
    assert read_as(read_key, frozenset({known_key, *codes("KeyError TypeError")})) == {known_key}


@pytest.mark.parametrize(
    ("read", "known"),
    [
        ("UnicodeEncodeError", "UnicodeDecodeError"),  # 0.94 alike: two real classes
        ("ConnectionRefusedError", "ConnectionResetError"),
        ("InvoiceSyncError", "InvoiceSendError"),  # an app's own classes, a word apart
        ("TvpeError", "TypeError"),  # short classes must be equal (KeyError is a letter or two away too)
    ],
)
def test_a_class_is_never_taken_for_another_class(read: str, known: str) -> None:
    (read_key,), (known_key,) = codes(f"{read}: x"), codes(f"{known}: x")
    assert not read_as(read_key, frozenset({known_key}))


def test_distinct_codes_stay_distinct() -> None:
    (a,), (b,) = codes("ERR_SSL_PROTOCOL_ERROR"), codes("ERR_UNSAFE_REDIRECT")
    assert not read_as(a, frozenset({b}))
    for read, known in (("curl: (52)", "curl: (56)"), ("TypeError: x", "KeyError: x")):
        assert not read_as(*codes(read), frozenset(codes(known)))


def test_a_long_name_is_read_as_the_nearest_of_the_knowledge_base_s_own_names() -> None:
    """An app's own codes, on no list of names programs print: a slip of one is that one, not its look-alike."""
    known = frozenset(codes("ERR_PAYMENT_DECLINED\nERR_PAYMENT_DECLINED_3DS"))
    assert read_as(*codes("ERR_PAYMENT_DECLINED"), known) == set(codes("ERR_PAYMENT_DECLINED"))
    assert read_as(*codes("ERR_PAYMENT_DECL1NED_3D5"), known) == set(codes("ERR_PAYMENT_DECLINED_3DS"))


KNOWN_NAMES = frozenset(
    codes("ERR_SSL_PROTOCOL_ERROR, ERR_FILE_NOT_FOUND, KeyError, TypeError, FileNotFoundError, InvoiceSyncError, 429")
)


@pytest.mark.parametrize(
    ("said", "named"),
    [
        ("dev server over https gives ssl protocol error in chrome", "ERR_SSL_PROTOCOL_ERROR"),
        ("chrome cant open the report, err file not found", "ERR_FILE_NOT_FOUND"),
        ("basket crashes with a key error about price", "KeyError"),
        ("cart page: keyerror price", "KeyError"),
        ("Jinja says undefinedError, then a type error when adding up", "TypeError"),
        ("the sync job dies with an invoice sync error", "InvoiceSyncError"),  # the knowledge base's own class
        ("nginx too many requests error after our load test", "429"),
        ("the loader says file not found error", "FileNotFoundError"),  # the longest name, not ERR_FILE_NOT_FOUND
    ],
)
def test_a_name_or_status_told_in_words_is_the_knowledge_base_s_code(said: str, named: str) -> None:
    assert told_names(said, KNOWN_NAMES) == set(codes(named))
    assert not told_names(said, frozenset())


@pytest.mark.parametrize(
    "said",
    [
        "the page is not found since the deploy",  # a status's reason of two words is everyday words
        "curl: connection refused on port 80",  # so is an ERR_* name's of two without its err
        "the file is not there, found nothing",  # words of a name, not in a run
        "an error in the type checker",
        "the value error page",  # a name programs print that the knowledge base does not hold
    ],
)
def test_everyday_words_name_no_code(said: str) -> None:
    assert told_names(said, KNOWN_NAMES | set(codes("ERR_CONNECTION_REFUSED, 404"))) == set()


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("curl gives up after two seconds, the operation times out", {"timed out"}),
        ("curl: (28) Operation timed out after 2001 milliseconds", {"timed out"}),
        ("asyncio.exceptions.TimeoutError", {"timed out"}),  # a class's parts are words
        ("the API just says not found", {"absent"}),
        ("ERR_FILE_NOT_FOUND", {"absent"}),  # so are an ERR_* name's
        ("No matching distribution found for flask==9.9", {"absent"}),
        ('psql: error: FATAL: database "shop" does not exist', {"absent"}),
        ("503 Service Temporarily Unavailable", {"unavailable"}),
        ("the browser tells me I'm not authorized", {"denied"}),  # said as 401 or 403 prints it
        ("403 Forbidden", {"denied"}),
        ("This page isn't working, and the 401 code", {"not working"}),  # a status is a code, not words
        ("Connection reset by peer", {"reset"}),
        ('FATAL: password authentication failed for user "shop"', {"denied"}),
        ('422: "value is not a valid integer"', {"invalid"}),
        ("git refuses to pull, it fails with an error, the page is broken and missing", set()),
        ("pip install --timeout 60 flask==9.9: no matching distribution found", {"absent"}),  # settings' names...
        ("requests.get(url, timeout=5) raises ConnectionError", set()),
        ("I set proxy_read_timeout 300s and timeout_ms: 500, still 502 Bad Gateway", {"bad gateway"}),
        ("python3 scripts/check_expired.py fails: No module named yaml", set()),  # ...files', paths', addresses'...
        ("GET https://shop.test/unavailable-items and /api/not-found-handler give HTTP ERROR 500", set()),
        ("requests.exceptions.ReadTimeout: HTTPSConnectionPool", {"timed out"}),  # ...not a printed name's
        ("HTTP/1.1 503 Service Unavailable for app.py", {"unavailable"}),
        ("curl --connect-timeout 5 says Operation timed out after 5001 milliseconds", {"timed out"}),
        ("postgres says the database I asked for isnt there", {"absent"}),  # everyday ways of saying a kind
        ("the server has never heard of my user", {"absent"}),
        ("I do not have authorization to view this page", {"denied"}),
        ("postgres keeps rejecting my password", {"denied"}),
        ("the sync endpoint resets the connection", {"reset"}),
        ("curl to the health endpoint returns nothing at all", {"empty reply"}),
        ("the API came back with just nothing", {"empty reply"}),
        ("chrome says it can't find the server's address", set()),  # said of a file as of an address
        ("the app refuses to start, the button does nothing", set()),
    ],
)
def test_failure_kinds_are_the_kinds_of_failure_a_text_names_however_said_or_printed(text: str, kinds: set) -> None:
    assert failure_kinds(text) == kinds


def test_words_fold_what_recognisers_confuse_and_keep_names_whole() -> None:
    assert words("M0dule n0t found: c1ient") == words("Module not found: client")
    assert words("the modem") == words("the modern")  # rn read as m
    assert {"package.json", "proxy_pass"} <= words("Edit package.json and proxy_pass")
    assert words("a the is I x") == set()
    assert fold("Il1|") == "llll"


def test_error_lines_are_the_error_lines_once_each() -> None:
    text = "GET /api\n502 Bad Gateway\nnginx\n502 Bad Gateway\nTypeError: x is undefined"
    assert error_lines(text) == "502 Bad Gateway\nTypeError: x is undefined"
    assert error_lines("all good\nnothing to see") == ""


def test_error_lines_read_codes_as_written_and_tolerate_a_lost_underscore() -> None:
    """`environ` is no E-code; a frame handling the exception and the exception are error lines; Chrome's ERR_*
    name read with a space is one."""
    traceback = "return self.wsgi_app(environ, start_response)\nrv = self.handle_user_exception(e)\nKeyError: 'price'"
    assert error_lines(traceback) == "rv = self.handle_user_exception(e)\nKeyError: 'price'"
    assert error_lines("This site can't be reached\nmight be down\nERR UNSAFE_REDIRECT").endswith("ERR UNSAFE_REDIRECT")
    curl = "$ curl https://localhost:8443/health\ncurl: (60) SSL certificate problem: self-signed certificate"
    assert error_lines(curl) == "curl: (60) SSL certificate problem: self-signed certificate", "curl's exit code"


def test_matching_line_prefers_the_error_line_over_a_shared_prompt() -> None:
    assert matching_line(SCREEN, KNOWLEDGE).startswith("psql: error: connection to server")


def test_matching_line_falls_back_to_any_line_and_ignores_one_letter_noise() -> None:
    assert matching_line("the orders page\nB", "orders page is blank\nB") == "the orders page"
    assert matching_line("B\nx", "B x") == ""
    assert matching_line("", KNOWLEDGE) == ""


@pytest.mark.parametrize(
    ("line", "prompt"),
    [
        ("kim@dev-box:~/etl$ git pull", True),
        ("sam@ubuntu-vm:-/webapp$", True),  # its `~` read as `-`
        ("alex@ThinkPad-T14 :~/chatbot$", True),
        ("kim@dev-box: ~/etl$", True),
        ("root@web-1:/srv/app# ls", True),
        ("kim@mbp shop %", True),  # zsh
        ("PS C:\\Users\\kim> npm start", True),
        ("kim@dev-box: ~/etl-jobs", False),  # a terminal's title
        ("# general", False),  # a chat's channel
        ("Alice: standup in 5", False),
        ("> quoted", False),
        ("mail bob@example.com: see below", False),
        ("git clone git@github.com:org/repo.git", False),
    ],
)
def test_shows_prompt_tells_a_shell_s_prompt(line: str, prompt: bool) -> None:
    assert shows_prompt(line) is prompt


def test_message_template_masks_names_addresses_and_prompts_but_keeps_the_message() -> None:
    template = message_template(
        'psql: error: connection to server at "db.internal" (10.20.0.15), port 5432 failed:\n'
        'FATAL: password authentication failed for user "grafana\n'
        "deploy@prod-app-2:~/reports$ ls"
    )
    assert "db.internal" not in template and "10.20.0.15" not in template and "grafana" not in template
    assert "prod-app-2" not in template
    assert "FATAL: password authentication failed for user" in template and "port 5432 failed" in template
    # a quoted phrase is a message, a single-quoted module name is what the error is about
    assert "Not Found" in message_template('{"detail":"Not Found"}')
    assert "Input should be a valid date" in message_template('"msg": "Input should be a valid date", "input": 1')
    assert message_template("ModuleNotFoundError: No module named 'yaml'").endswith("'yaml'")


def test_a_quoted_name_whose_closing_quote_ocr_lost_is_masked_too() -> None:
    """A dark terminal's photo read `"db.internal"` with its closing quote as `⁻` and `"inventory"` without one: both
    names stay out of the template, as they do when read whole; a quoted phrase that is closed stays in it."""
    read = message_template(
        'psql: error: connection to server at "db.1nternal⁻ (10.20.0.15), port 5432 failed: FATAL: database '
        '"inventory does not exist'
    )
    assert read == message_template(
        'psql: error: connection to server at "db.internal" (10.20.0.15), port 5432 failed: FATAL: database '
        '"inventory" does not exist'
    )
    assert "database does not exist" in read and "1nternal" not in read and "inventory" not in read
    assert message_template('FATAL: role "django” does not exist') == "FATAL: role does not exist"
    assert message_template('it says "Method Not Allowed" when I post') == 'it says "Method Not Allowed" when I post'


def test_a_hostile_line_is_read_in_one_pass() -> None:
    """No pattern that reads a line retries from every letter of a long word or run (each of these took minutes):
    a long word, `HTTP` or a prompt's `ab@cd:` repeated without a space, a run of spaces before a line of code, a
    snake_case name without end. The bound leaves room for a busy machine; the same lines, short, read as before."""
    started = time.monotonic()
    assert error_lines("x" * 200_000) == "" and error_lines("HTTP" * 50_000) == ""
    assert message_template("ab@cd:" * 40_000) == "ab@cd:" * 40_000
    assert message_template('"ab ' * 50_000) == "" and message_template('ab "cd ' * 40_000).split() == ["ab"] * 40_000
    assert not shows_failure(" " * 200_000 + "raise ValueError(name)"), "a line of code"
    assert failure_kinds("a_b" * 40_000 + " x") == failure_kinds("a.b" * 40_000 + " x") == set(), "a name without end"
    long = line_keys("abc " * 50_000)
    assert pieces_alike(long, line_keys("abcd " * 30_000)) < 1.0 and pieces_alike(long, long) == 1.0
    assert time.monotonic() - started < 15
    assert error_lines("xValueError: bad\nHTTP/1.1 502\nstatus: 404") == "xValueError: bad\nHTTP/1.1 502\nstatus: 404"
    assert not shows_failure("    } raise ValueError(name)") and shows_failure("ValueError: name")
    assert message_template("deploy@prod-app-2:~/reports$ ls failed") == " ls failed"


def test_line_keys_are_the_pieces_a_program_prints_without_what_differs_between_occurrences() -> None:
    """Lines, sentences and quoted messages, by their letters (folded); prompts, addresses, quoted names, settings,
    files, paths, hashes and numbers left out; pieces too short to tell anything dropped; each piece once."""
    printed = line_keys(
        "maya@lumen-dev:~/orders$ git pull\nerror: Your local changes would be overwritten by merge:\n"
        "  docker-compose.yml\nUpdating 53604f0..a52ebb6\nUpdating 9a8b8f1..da63e9d\n"
        'psql: error: connection to server at "db.internal" (10.20.0.15), port 5432 failed\n'
        "fails with 'ModuleNotFoundError: No module named yaml' after pip install --timeout 60. Aborting"
    )
    assert printed == (
        "gltpull",
        "yourlocalchangeswouldbeoverwrlttenbymerge",
        "updatlng",
        "connectlontoserveratportfalled",
        "fallswlth",
        "modulenotfounderror",
        "nomodulenamedyaml",
        "afterplplnstall",
        "abortlng",
    )
    assert line_keys("ERR_CONNECTION_REFUSED") == ("errconnectlonrefused",) and line_keys("a: b\n42") == ()


def test_pieces_alike_is_how_much_of_what_was_shown_is_printed_as_it_is() -> None:
    merge = line_keys("error: Your changes would be overwritten by merge:\nPlease commit them before you merge.")
    checkout = line_keys("error: Your changes would be overwritten by checkout:\nCommit them before you switch.")
    shown = line_keys("errer: Your changes would be overwriten by merge:\nPlease commit them before you merge.")
    assert 1.0 > pieces_alike(shown, merge) > 0.9 > pieces_alike(shown, checkout) > 0.5
    assert pieces_alike(merge, merge) == 1.0
    assert pieces_alike(shown, ()) == pieces_alike((), merge) == 0.0


def test_message_template_is_empty_when_only_values_remain() -> None:
    assert message_template('"a" 10.0.0.1:80 "b"') == ""


def test_a_recognised_word_one_edit_from_exactly_one_known_word_is_read_as_it() -> None:
    known = {"exist", "database", "connection", "role", "roles", "checkout", "checked"}
    asked = {"ecist", "exits", "databse", "connectoin", "roly", "checkedout", "tracebaca", "exist"}
    expected = {"ecist": "exist", "exits": "exist", "databse": "database", "connectoin": "connection"}
    assert respelled(asked, known) == expected  # "roly" is too short to tell from a slip
    assert respelled({"rolesx"}, known) == {"rolesx": "roles"}
    assert respelled({"checke"}, {"checks", "checked"}) == {}  # one edit from two known words: left alone


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("exist", "ecist", True),  # a letter misread
        ("exist", "exst", True),  # dropped
        ("exist", "exists", True),  # added
        ("exist", "exsit", True),  # two neighbours swapped
        ("exist", "exist", False),
        ("exist", "ecisd", False),
        ("exist", "existed", False),
        ("abcd", "badc", False),
    ],
)
def test_one_edit_is_a_single_substitution_insertion_deletion_or_swap(a: str, b: str, near: bool) -> None:
    assert one_edit(a, b) is near and one_edit(b, a) is near


@pytest.mark.parametrize(
    "line",
    [
        "psql: error: connection to server failed:",
        "KeyError: 'price'",
        "ERROR: Could not find a version that satisfies the requirement",
        "npm error code ENOENT",
        "package.json not found",
        "response = self.handle_exception(e)",  # a traceback's frame still marks the failing page
        '{"detail":"Method Not Allowed"}',
        # FastAPI's error key as OCR reads its quotes
        '("detail-:[("type":"less_than_equal","loc":["query","limit"]',
        'detai1*:"Method Not A1lowed")',
    ],
)
def test_what_failed_shows_failure(line: str) -> None:
    assert shows_failure(line)


@pytest.mark.parametrize(
    "line",
    [
        "    except Exception as exc:",
        '        log.error("export failed for %s", exc)',
        '    raise ValueError("no rows found")',
        'console.error("request failed", err)',
        "} catch (error) {",
        '    throw new Error("not found")',
        'if err != nil { return fmt.Errorf("open failed: %w", err) }',
        "$ ls",
        "detail: verbose",  # a setting, not a JSON error's key
        "Details",
    ],
)
def test_source_code_and_lines_without_errors_do_not(line: str) -> None:
    assert not shows_failure(line)


def test_lines_of_code_read_as_code_and_a_failing_terminal_s_lines_do_not() -> None:
    code = ["def reconcile(orders):", "seen = {}", "total += row.amount", "@dataclass", "class Invoice:", "  });", "}"]
    assert all(reads_as_code(line) for line in code)
    said = ["Please commit your changes or stash them before you merge.", "Aborting", "Updating 53604f0..a52ebb6"]
    said += ["alex@box:~/site$ git pull", "Alice: standup in 5", "# general", "total == 3 is wrong"]
    assert not any(reads_as_code(line) for line in said)
