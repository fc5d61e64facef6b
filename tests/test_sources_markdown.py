"""Reading issue bodies and comments: template boilerplate, embedded media, the resolution rule, ADF."""

from __future__ import annotations

from bot.sources.adf import adf_to_markdown
from bot.sources.issue import Comment, TrackerIssue
from bot.sources.mapping import map_issue
from bot.sources.markdown import marked_resolution, read_body

ISSUE_FORM = """<!-- Thanks for reporting! Please fill in the form below. -->
### Is there an existing issue for this?

- [X] I have searched the existing issues

### Describe the bug

Checkout shows **502 Bad Gateway** after the deploy.

<img width="812" alt="checkout page" src="https://github.com/user-attachments/assets/5e4c1a2b-1111-2222-3333-444455556666">

### Steps to reproduce

1. Open /checkout

### Browser

Firefox 128

### Relevant log output

_No response_

### Workaround

Restart the API: `systemctl restart lumen-api`.

https://github.com/user-attachments/assets/0a0b0c0d-aaaa-bbbb-cccc-ddddeeeeffff

### Code of Conduct

- [X] I agree to follow this project's Code of Conduct
"""


def test_issue_form_body() -> None:
    body = read_body(ISSUE_FORM)
    assert body.symptoms == (
        "Checkout shows **502 Bad Gateway** after the deploy.\n\n1. Open /checkout\n\n**Browser**\n\nFirefox 128"
    )
    assert body.resolution == "Restart the API: `systemctl restart lumen-api`."
    assert [name for _, name in body.media] == ["checkout page", "0a0b0c0d-aaaa-bbbb-cccc-ddddeeeeffff"]


def test_marked_comments() -> None:
    assert marked_resolution("**Workaround:** pin react to 18.2") == "pin react to 18.2"
    assert marked_resolution("## Resolution\n\nRenew the certificate.") == "Renew the certificate."
    assert marked_resolution("Thanks, looking into it") is None
    assert marked_resolution("Fixed in 2.4, closing.") is None  # "Fix" must be a label or a heading
    assert marked_resolution("__Fix__: set TZ=UTC") == "set TZ=UTC"
    assert marked_resolution("Details first.\n\n### Fix\n\nUpgrade to 2.5.") == "Upgrade to 2.5."


def issue(**changes: object) -> TrackerIssue:
    base = TrackerIssue(
        "acme/shop#7", "github-acme-shop-7", "Login loops", "Too many redirects", "https://x/7", "t", "shop"
    )
    return TrackerIssue(**{**base.__dict__, **changes})  # type: ignore[arg-type]


def test_status_and_resolution_rules() -> None:
    source = {"tracker": "github"}
    comments = (Comment("Me too", False), Comment("Cookie domain was wrong; fixed in 2.4", True))
    fixed = map_issue(issue(closed=True, close_reason="completed", comments=comments), (), frozenset(), source)
    assert not isinstance(fixed, str) and fixed.status == "fixed" and fixed.resolution.startswith("Cookie domain")
    still_open = map_issue(issue(comments=comments), (), frozenset(), source)  # unmarked comment: not an answer
    assert not isinstance(still_open, str) and still_open.status == "open" and "No fix" in still_open.resolution
    marked = (Comment("Workaround: clear cookies", True), Comment("Workaround: from a user", False))
    workaround = map_issue(issue(comments=marked, labels=("bug", "auth")), (), frozenset({"bug"}), source)
    assert not isinstance(workaround, str) and workaround.resolution == "clear cookies"
    assert workaround.status == "workaround" and workaround.tags == ("auth",)
    assert map_issue(issue(closed=True, close_reason="not_planned"), (), frozenset(), source) == (
        "not planned, no workaround"
    )
    kept = map_issue(issue(closed=True, close_reason="not_planned", comments=marked), (), frozenset(), source)
    assert not isinstance(kept, str) and kept.status == "workaround"
    assert map_issue(issue(closed=True, close_reason="duplicate"), (), frozenset(), source) == "duplicate"
    assert map_issue(issue(pull_request=True), (), frozenset(), source) == "pull request"


def test_adf_to_markdown() -> None:
    doc = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": "Symptoms"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "Error "},
                    {"type": "text", "text": "ECONNREFUSED", "marks": [{"type": "code"}]},
                    {"type": "hardBreak"},
                    {"type": "mention", "attrs": {"id": "1", "text": "@Mia"}},
                ],
            },
            {
                "type": "bulletList",
                "content": [
                    {
                        "type": "listItem",
                        "content": [{"type": "paragraph", "content": [{"type": "text", "text": "one"}]}],
                    }
                ],
            },
            {"type": "codeBlock", "attrs": {"language": "bash"}, "content": [{"type": "text", "text": "psql -h db"}]},
            {"type": "mediaSingle", "content": [{"type": "media", "attrs": {"id": "x", "type": "file"}}]},
        ],
    }
    assert adf_to_markdown(doc) == "### Symptoms\n\nError `ECONNREFUSED`\n@Mia\n\n- one\n\n```bash\npsql -h db\n```"
    assert adf_to_markdown("plain *wiki* text") == "plain *wiki* text" and adf_to_markdown(None) == ""
