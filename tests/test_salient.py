"""bot.salient: the error lines of a screen, and the line that shows why a query met a knowledge text."""

from bot.salient import matching_line, message_template, salient_lines

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
    assert message_template("ModuleNotFoundError: No module named 'yaml'").endswith("'yaml'")


def test_message_template_is_empty_when_only_values_remain() -> None:
    assert message_template('"a" 10.0.0.1:80 "b"') == ""
