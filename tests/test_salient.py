"""bot.salient: the error lines of a screen, and the line that shows why a query met a knowledge text."""

from bot.salient import matching_line, salient_lines

SCREEN = """maya@lumen-dev: ~/lumen-orders
maya@lumen-dev:~/lumen-orders$ psql -h 127.0.0.1 -U lumen orders
psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused
B
maya@lumen-dev:~/lumen-orders$"""
KNOWLEDGE = """B
maya@lumen-dev: ~/lumen-orders
psql: error: connection to server at "127.0.0.1", port 5432 failed: Connection refused
Is the server running on that host and accepting TCP/IP connections?"""


def test_salient_lines_are_the_error_lines_once_each() -> None:
    text = "GET /api\n502 Bad Gateway\nnginx\n502 Bad Gateway\nTypeError: x is undefined"
    assert salient_lines(text) == "502 Bad Gateway\nTypeError: x is undefined"
    assert salient_lines("all good\nnothing to see") == ""


def test_matching_line_prefers_the_error_line_over_a_shared_prompt() -> None:
    assert matching_line(SCREEN, KNOWLEDGE).startswith("psql: error: connection to server")


def test_matching_line_falls_back_to_any_line_and_ignores_one_letter_noise() -> None:
    assert matching_line("the orders page\nB", "orders page is blank\nB") == "the orders page"
    assert matching_line("B\nx", "B x") == ""
    assert matching_line("", KNOWLEDGE) == ""
