"""Re-create the screenshots of knowledge/ and the screenshot queries of examples/.

python capture.py kb [BUG_ID ...]        # knowledge/<id>/screenshot*.png
python capture.py examples [QUERY_ID ...] # examples/media/<id>.png|jpg
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import scenarios as sc
from render import DRACULA, SOLARIZED_LIGHT, crop_png, shrink_png, to_jpeg

REPO = Path(__file__).resolve().parents[2]
KB = REPO / "knowledge"
EXAMPLES = REPO / "examples" / "media"

Scenario = Callable[[sc.Ctx, Path], None]


def _with_log(scenario: Callable[[sc.Ctx, Path, Path], None]) -> Scenario:
    """Also save nginx's error.log lines as screenshot-2.png."""
    return lambda ctx, out: scenario(ctx, out, out.with_name("screenshot-2.png"))


# bug id -> (scenario, contexts); one screenshot per context (screenshot.png, screenshot-2.png)
KB_SHOTS: dict[str, tuple[Scenario, list[sc.Ctx]]] = {
    "nginx-502-bad-gateway": (_with_log(sc.nginx_502), [sc.Ctx(user="ops", host="lumen-web-1", port=8080)]),
    "nginx-504-gateway-timeout": (_with_log(sc.nginx_504), [sc.Ctx(user="ops", host="lumen-web-1", port=8080)]),
    "chrome-err-connection-refused": (sc.chrome_connection_refused, [sc.Ctx(port=5173)]),
    "chrome-err-too-many-redirects": (sc.chrome_too_many_redirects, [sc.Ctx(port=8443)]),
    "chrome-err-name-not-resolved": (sc.chrome_name_not_resolved, [sc.Ctx()]),
    "flask-attributeerror-nonetype-email": (sc.flask_attributeerror, [sc.Ctx(port=5000)]),
    "django-disallowedhost-allowed-hosts": (sc.django_disallowed_host, [sc.Ctx(port=8000)]),
    "fastapi-422-missing-field-sku": (sc.fastapi_422_missing, [sc.Ctx(port=8000)]),
    "postgres-connection-refused": (sc.psql_refused, [sc.Ctx()]),
    "git-merge-conflict-content": (sc.git_merge_conflict, [sc.Ctx()]),
    "pip-externally-managed-environment": (sc.pip_externally_managed, [sc.Ctx()]),
    "npm-eresolve-react-peer": (sc.npm_eresolve, [sc.Ctx(project="lumen-storefront")]),
    "node-eaddrinuse-port-in-use": (sc.node_eaddrinuse, [sc.Ctx(port=3000, project="lumen-storefront")]),
    "curl-60-self-signed-certificate": (sc.curl_self_signed, [sc.Ctx(port=8443)]),
    "curl-60-certificate-expired": (sc.curl_expired, [sc.Ctx(port=8443)]),
    "sqlite-database-is-locked": (sc.sqlite_locked, [sc.Ctx()]),
    "python-unicodedecodeerror-csv-import": (sc.unicode_decode, [sc.Ctx()]),
}


def _ex(
    scenario: Scenario, ctx: sc.Ctx, fmt: str = "png", crop: tuple[int, int, int, int] | None = None
) -> tuple[Scenario, sc.Ctx, str, tuple[int, int, int, int] | None]:
    return scenario, ctx, fmt, crop


# query id -> the same failure captured ANEW in another context (never the KB image)
EXAMPLE_SHOTS = {
    "q01": _ex(
        sc.nginx_504, sc.Ctx(port=9090, size=(1280, 800), opts={"path": "/api/v1/reports/quarterly?year=2024"}), "jpg"
    ),
    "q02": _ex(sc.chrome_connection_refused, sc.Ctx(port=3000, size=(900, 640), dark=True, opts={"path": "/checkout"})),
    "q03": _ex(
        sc.django_disallowed_host,
        sc.Ctx(port=8001, size=(1280, 900), opts={"host": "admin.lumen.example", "path": "/backoffice/"}),
        "png",
        (0, 0, 1280, 420),
    ),
    "q04": _ex(
        sc.curl_self_signed,
        sc.Ctx(
            user="sam",
            host="ops-box",
            port=9443,
            theme=SOLARIZED_LIGHT,
            size=(1000, 420),
            opts={"path": "/api/v1/orders?limit=5"},
        ),
    ),
    "q05": _ex(
        sc.git_merge_conflict,
        sc.Ctx(
            user="li",
            host="li-thinkpad",
            project="orders-api",
            theme=DRACULA,
            size=(960, 480),
            opts={"file": "app/billing/tax.py", "branch": "release/2.5"},
        ),
        "png",
        (0, 0, 960, 230),
    ),
    "q06": _ex(sc.flask_attributeerror, sc.Ctx(port=5050, size=(1200, 800), scale=1.25, opts={"order": "2210"}), "jpg"),
    "q07": _ex(
        sc.psql_refused,
        sc.Ctx(
            user="deploy",
            host="lumen-prod-1",
            project="releases/2024-11-26",
            theme=DRACULA,
            size=(1000, 360),
            opts={"pguser": "lumen_app", "db": "lumen_prod", "pghost": "localhost"},
        ),
    ),
    "q17": _ex(sc.chrome_empty_response, sc.Ctx(port=8088, size=(1000, 680), opts={"path": "/orders/export"})),
}


def capture_kb(ids: list[str]) -> None:
    for bug_id in ids or list(KB_SHOTS):
        scenario, contexts = KB_SHOTS[bug_id]
        for n, ctx in enumerate(contexts, start=1):
            out = KB / bug_id / ("screenshot.png" if n == 1 else f"screenshot-{n}.png")
            scenario(ctx, out)
            for shot in sorted(out.parent.glob("screenshot*.png")):
                print(f"{shot.relative_to(REPO)}: {shrink_png(shot)} bytes")


def capture_examples(ids: list[str]) -> None:
    EXAMPLES.mkdir(parents=True, exist_ok=True)
    for qid in ids or list(EXAMPLE_SHOTS):
        scenario, ctx, fmt, crop = EXAMPLE_SHOTS[qid]
        png = EXAMPLES / f"{qid}.png"
        scenario(ctx, png)
        if fmt == "jpg":
            out = to_jpeg(png, EXAMPLES / f"{qid}.jpg", crop=crop)
            png.unlink()
        else:
            if crop:
                crop_png(png, crop)
            shrink_png(png, colors=128)
            out = png
        print(f"{out.relative_to(REPO)}: {out.stat().st_size} bytes")


if __name__ == "__main__":
    what, rest = sys.argv[1], sys.argv[2:]
    try:
        capture_kb(rest) if what == "kb" else capture_examples(rest)
    finally:
        sc.cleanup()
