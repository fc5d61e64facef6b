"""bot.ranking.spoken: numbers said in a voice note become the digits the knowledge base uses."""

from __future__ import annotations

import pytest

from bot.ranking.spoken import heard_numbers, spoken_numbers


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("customers see a five oh three code on the checkout", "customers see a 503 code on the checkout"),
        ("the reports endpoint gives four twenty-two", "the reports endpoint gives 422"),
        ("it exits with code twenty two and mentions four oh four.", "it exits with code 22 and mentions 404"),
        ("Four hundred and thirteen", "413"),
        ("a five hundred and the page is blank", "a 500 and the page is blank"),
        ("four hundred four", "404"),
        ("a page with a 5-0-3 code", "a page with a 503 code"),
        ("the list gives a 4-22 error", "the list gives a 422 error"),
        ("released 10-12-24 and 3-4", "released 10-12-24 and 3-4"),
        ("the one I want says only two values are allowed", "the one I want says only two values are allowed"),
        ("oh, the page is blank", "oh, the page is blank"),
        ("a hundred users see it", "a hundred users see it"),
        ("", ""),
        ('Traceback:\n  File  "app.py"\n\nKeyError', 'Traceback:\n  File  "app.py"\n\nKeyError'),
        ("first line\nerror four oh four here", "first line\nerror 404 here"),
    ],
)
def test_spoken_numbers_become_digits(heard: str, meant: str) -> None:
    assert spoken_numbers(heard) == meant


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("the shop shows up for 29 error since the newsletter", "the shop shows up 429 error since the newsletter"),
        ("the reports endpoint gives four 22 the moment I sort", "the reports endpoint gives 422 the moment I sort"),
        ("the login page says for 01", "the login page says 401"),
        ("a page with for twenty-nine on it", "a page with 429 on it"),  # said in words, then joined
        ("it hangs for 10 minutes then for 15 people", "it hangs for 10 minutes then for 15 people"),
        ("it failed for 30 and then for 2022", "it failed for 30 and then for 2022"),  # no 430 status; a year
        ("the build waited for 13.5 and stopped", "the build waited for 13.5 and stopped"),  # a decimal, not 413
    ],
)
def test_a_status_heard_as_for_and_two_digits_is_the_status(heard: str, meant: str) -> None:
    assert heard_numbers(heard) == meant
