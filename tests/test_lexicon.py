"""bot.lexicon: error codes found (and not found) in real error text, and the word-overlap features."""

from __future__ import annotations

import pytest

from bot.lexicon import Lexicon, codes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("This page isn't working\nHTTP ERROR 401\nReload", {"401"}),
        ("502 Bad Gateway\nnginx/1.22.1", {"502"}),
        ("npm ERR! code ENOENT\nnpm ERR! syscall open", {"ENOENT"}),
        ("npm error code EJSONPARSE", {"EJSONPARSE"}),
        ("This site can't be reached ERR_CONNECTION_REFUSED", {"ERR_CONNECTION_REFUSED"}),
        ("curl: (7) Failed to connect to localhost port 8080", {"CURL: (7)"}),
        ("KeyError: 'price'", {"KEYERROR"}),
        ("EOFError: EOF when reading a line", {"EOFERROR"}),
        # words in capitals, line numbers, ports, addresses and times are not codes
        ("ERROR: could not open requirements file", set()),
        ('File "/srv/app.py", line 415, in cart', set()),
        ("connection to server at 10.0.3.12, port 443 failed at 10:45:01", set()),
        ("EXPIRED SESSION - ENTER PASSWORD", set()),
    ],
)
def test_codes_are_error_codes_not_ordinary_numbers_or_capitals(text: str, expected: set[str]) -> None:
    assert codes(text) == expected


def test_code_agreement_tells_a_shared_code_from_a_clash() -> None:
    assert Lexicon.code_agreement("HTTP ERROR 401", "HTTP ERROR 500 with empty body") == (0.0, 1.0)
    assert Lexicon.code_agreement("HTTP ERROR 500", "HTTP ERROR 500 with empty body") == (1.0, 0.0)
    assert Lexicon.code_agreement("the page is blank", "HTTP ERROR 500") == (0.0, 0.0)


def test_coverage_weighs_rare_words_above_common_ones() -> None:
    lexicon = Lexicon(["nginx 502 bad gateway upstream", "nginx 404 not found", "nginx 413 request too large"])
    assert lexicon.coverage("nginx upstream", "502 bad gateway upstream") > 0.7  # "nginx" is in every bug
    assert lexicon.coverage("nginx upstream", "404 not found") == 0.0
    assert lexicon.coverage("words the base never uses", "anything") == 0.0


def test_screen_match_is_high_for_the_same_screen_and_low_for_a_shared_word() -> None:
    lexicon = Lexicon(["This page isn't working HTTP ERROR 503", "503 Service Temporarily Unavailable nginx"])
    chrome = "This page isn't working\nlocalhost is currently unable to handle this request.\nHTTP ERROR 503\nReload"
    same = "This page isn't working\nshop.example is currently unable to handle this request.\nHTTP ERROR 503"
    nginx = "503 Service Temporarily Unavailable\nnginx/1.22.1"
    recall, f1 = lexicon.screen_match(same, [chrome])
    assert recall > 0.7 and f1 > 0.7
    assert max(lexicon.screen_match(nginx, [chrome])) < 0.3
    assert lexicon.screen_match(nginx, ["nothing alike", chrome]) == lexicon.screen_match(nginx, [chrome])
    assert lexicon.screen_match("", [chrome]) == (0.0, 0.0)


def test_screen_f1_drops_when_the_user_screen_says_much_more() -> None:
    lexicon = Lexicon(["Method Not Allowed detail", "Not Found detail"])
    kb = '{"detail":"Method Not Allowed"}'
    recall_same, f1_same = lexicon.screen_match('{"detail":"Method Not Allowed"}', [kb])
    recall_more, f1_more = lexicon.screen_match('{"detail":"Method Not Allowed"} Traceback KeyError cart price', [kb])
    assert recall_same == recall_more == 1.0
    assert f1_more < f1_same
