"""Every view × every role in headless Chromium, driven by the permission table
(``rtcc.auth.roles.ROLE_PERMISSIONS``, the README's "Who may do what") and by the console's own
view registry (``views/index.js``): a view is in the navigation exactly when the role holds its
permission, opens (or names the missing permission) accordingly, and every action button is
there exactly when the role holds the permission of the route it calls. A screenshot of every
view for every role lands in ``test-artifacts/screenshots/roles/``.

The server is the real ``rtcc serve`` with two cameras on a clip the test writes (no plate
models: ``lpr: false``) and a disabled third camera whose health row the test sets.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import create_engine, update

from rtcc.auth.roles import ROLE_PERMISSIONS, ROLES
from rtcc.models import Camera
from tests.support.browser import CHROMIUM, login
from tests.support.clips import write_clip
from tests.support.console_server import USERS, ConsoleServer, ModelFreeConsole

pytestmark = pytest.mark.browser

USER_OF_ROLE = {roles[0]: name for name, roles in USERS.items()}

# The screen the README promises for a permission (the permission table decides who gets it).
SCREEN_FOR = {
    "users:manage": "users",
    "cameras:manage": "camera-admin",
    "cameras:view": "cameras",  # camera health
    "hotlists:view": "hotlists",
    "holds:manage": "holds",
    "retention:view": "retention",
    "audit:view": "audit",
}

# Each action button, by view, with the permission of the route it calls.
ACTIONS = {
    "users": [("user.create", "users:manage"), ("user.save", "users:manage"),
              ("token.issue", "users:manage"), ("user.password", "users:manage")],
    "camera-admin": [("camera.create", "cameras:manage"), ("camera.test", "cameras:manage"),
                     ("camera.edit", "cameras:manage")],
    "hotlists": [("hotlist.upload", "hotlists:manage")],
    "holds": [("hold.create", "holds:manage")],
    "retention": [("retention.dry_run", "retention:run"), ("retention.run", "retention:run")],
    "audit": [("audit.verify", "audit:view")],
}


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleServer]:
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is not installed")
    root = tmp_path_factory.mktemp("roles")
    clip = write_clip(root / "clip.mp4", seconds=6, passes=[(1.0, 3.0)])
    server = ModelFreeConsole(root=root, video=clip.path, model_dir=root / "no-models")
    server.prepare()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def shots() -> Path:
    from tests.support.browser import SCREENSHOTS

    out = SCREENSHOTS / "roles"
    out.mkdir(parents=True, exist_ok=True)
    return out


def _views(page: Page) -> list[dict[str, Any]]:
    """The console's view registry, as the page itself loads it."""
    return page.evaluate("""async () => (await import('/static/js/views/index.js')).VIEWS
        .map((v) => ({ id: v.id, title: v.title, perm: v.perm, roles: v.roles || null }))""")


def _open(page: Page, view_id: str) -> None:
    page.goto(f"/#/{view_id}")
    expect(page.locator(f"#nav a[data-view='{view_id}'].active, [data-testid=denied]")
           .first).to_be_visible()
    with contextlib.suppress(PlaywrightTimeout):  # live video never goes idle: not for ever
        page.wait_for_load_state("networkidle", timeout=2500)
    page.wait_for_timeout(300)  # late toasts and lazily loaded panes settle


@pytest.mark.parametrize("role", ROLES)
def test_every_view_for_every_role(
    role: str, console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    perms = ROLE_PERMISSIONS[role]
    page = new_page()
    page.emulate_media(color_scheme="dark")  # the night-shift theme (light: its own test)
    login(page, USER_OF_ROLE[role])
    views = _views(page)
    assert not [v for v in views if v["roles"]], "views are gated by permissions, not role names"
    nav = {a.get_attribute("data-view") for a in page.locator("#nav a").all()}
    assert nav == {v["id"] for v in views if v["perm"] in perms}
    for perm, screen in SCREEN_FOR.items():
        assert (perm in perms) == (screen in nav), f"{role}: {perm} -> screen {screen}"
    for view in views:
        _open(page, view["id"])
        denied = page.locator("[data-testid=denied]")
        if view["perm"] in perms:
            expect(denied).to_have_count(0)
            for action, needs in ACTIONS.get(view["id"], []):
                buttons = page.locator(f"[data-action='{action}'][data-perm]")
                if needs in perms:
                    expect(buttons.first).to_be_attached()
                else:
                    expect(buttons).to_have_count(0)
            shown = page.locator("#view [data-perm]").evaluate_all(
                "(ns) => ns.map((n) => n.dataset.perm)")
            assert set(shown) <= perms, f"{role} on {view['id']}: actions beyond the role"
        else:
            expect(denied).to_contain_text(f"“{view['perm']}”")
            expect(denied).to_contain_text(role)
        page.screenshot(path=shots / f"{role}-{view['id']}.png")


def test_every_backend_state_is_shown_by_name_with_its_reason(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["auditor"])
    states = page.evaluate("async () => (await (await fetch('/api/meta')).json()).camera_states")
    icons = page.evaluate("async () => (await import('/static/js/dom.js')).STATE_ICONS")
    assert set(states) <= set(icons), "a state the server emits has no name in the console"
    engine = create_engine(console.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Camera).where(Camera.id == "quay").values(
                state="degraded", state_reason="analysis 2.0 s behind"))
        page.goto("/#/cameras")
        row = page.locator("[data-testid=cameras-table] tr[data-camera=quay]")
        expect(row.locator(".badge.state")).to_have_text("◑ DEGRADED")
        expect(row.locator("[data-testid=state-reason]")).to_have_text("analysis 2.0 s behind")
        # The uptime strip names unknown time (before the camera existed) as unknown, not up.
        row.click()
        strip = page.locator("[data-testid=uptime-timeline]")
        expect(strip.locator("rect.span-unknown").first).to_be_attached()
        page.screenshot(path=shots / "health-degraded.png", full_page=True)
    finally:
        engine.dispose()


def test_supervisor_places_extends_and_releases_a_hold(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["supervisor"])
    _open(page, "holds")
    page.click("[data-action='hold.create']")
    dlg = page.locator("[data-testid=dlg-hold]")
    dlg.locator("input[name=case_number]").fill("CASE-2026-0420")
    dlg.locator("input[name=reason]").fill("court order 17 for the quay footage")
    dlg.locator("select[name=data_class]").select_option("video")
    dlg.locator("select[name=camera_id]").select_option("quay")
    dlg.locator("input[name=start_at]").fill("2026-01-05T08:00")
    dlg.locator("input[name=end_at]").fill("2026-01-05T18:00")
    page.screenshot(path=shots / "supervisor-hold-dialog.png")
    dlg.locator("button[type=submit]").click()
    row = page.locator("[data-testid=holds-table] tr", has_text="CASE-2026-0420")
    expect(row).to_contain_text("active")
    before = row.locator("td").nth(4).inner_text()
    row.locator("[data-action='hold.extend']").click()
    page.locator("[data-testid=dlg-hold] button[type=submit]").click()
    expect(row.locator("td").nth(4)).not_to_have_text(before)
    page.once("dialog", lambda d: d.accept())
    row.locator("[data-action='hold.release']").click()
    expect(page.locator("[data-testid=holds-table] tr", has_text="CASE-2026-0420")).to_have_count(0)


def test_admin_tests_a_camera_and_runs_retention_after_a_dry_run(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["admin"])
    _open(page, "camera-admin")
    page.click("[data-action='camera.create']")
    dlg = page.locator("[data-testid=dlg-camera]")
    dlg.locator("input[name=url]").fill(str(console.video))
    dlg.locator("[data-action='camera.probe']").click()
    expect(dlg.locator("[data-testid=probe-result]")).to_contain_text("video received")
    expect(dlg.locator("[data-testid=probe-result]")).to_contain_text("640×360")
    dlg.locator("input[name=url]").fill(str(console.root / "nowhere.mp4"))
    dlg.locator("[data-action='camera.probe']").click()
    expect(dlg.locator("[data-testid=probe-result]")).to_contain_text("video file not found")
    page.screenshot(path=shots / "admin-camera-test.png")
    dlg.locator("button", has_text="Cancel").click()

    _open(page, "retention")
    run = page.locator("[data-action='retention.run']")
    expect(run).to_be_disabled()  # a dry run first
    page.click("[data-action='retention.dry_run']")
    expect(page.locator("[data-testid=run-result]")).to_contain_text("Would delete")
    expect(run).to_be_enabled()
    page.screenshot(path=shots / "admin-retention-dry-run.png", full_page=True)


def test_auditor_verifies_the_audit_chain(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["auditor"])
    _open(page, "audit")
    page.click("[data-action='audit.verify']")
    expect(page.locator("[data-testid=chain-result] [data-ok=true]")).to_contain_text("intact")


def test_light_theme_follows_the_browser_and_the_switch(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    page.emulate_media(color_scheme="light")
    login(page, USER_OF_ROLE["detective"])
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "light")
    bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert bg == "rgb(244, 246, 248)"
    _open(page, "hotlists")
    page.screenshot(path=shots / "detective-hotlists-light.png")
    page.click("[data-testid=theme-switch]")
    expect(html).to_have_attribute("data-theme", "dark")
    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")  # the choice is kept


def test_one_toast_per_message_above_a_modal(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["admin"])
    _open(page, "users")
    page.click("[data-action='user.create']")
    dlg = page.locator("[data-testid=dlg-admin]")
    dlg.locator("input[name=username]").fill("x")
    for _ in range(2):  # no role chosen: the server names the field, twice
        dlg.locator("button[type=submit]").click()
        page.wait_for_timeout(300)
    toasts = page.locator("#toasts .toast-error")
    expect(toasts).to_have_count(1)
    expect(toasts).to_contain_text("roles")
    expect(toasts.locator(".toast-count")).to_have_text("×2")
    assert page.evaluate("document.getElementById('toasts').matches(':popover-open')")
    # Above the modal: the topmost element at the toast's centre is the toast itself.
    on_top = page.evaluate("""() => { const t = document.querySelector('#toasts .toast');
        const r = t.getBoundingClientRect();
        return t.contains(document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2)); }""")
    assert on_top
    page.screenshot(path=shots / "admin-toast-over-modal.png")


def test_a_camera_going_down_sounds_for_those_watching_it(
    console: ConsoleServer, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    login(page, USER_OF_ROLE["detective"])
    _open(page, "wall")
    expect(page.locator(".tile[data-camera=a40-west]")).to_be_visible()
    sounds = page.evaluate("""async () => {
        const { watchCameras } = await import('/static/js/camerawatch.js');
        let handler = null;
        const live = { on: (type, fn) => { handler = fn; return () => {}; } };
        const up = { state: 'online' };
        const known = new Map([['a40-west', up], ['elsewhere', up]]);
        watchCameras(live, known);
        const count = () => Number(document.documentElement.dataset.offlineSounds || 0);
        const out = [count()];
        handler({ camera_id: 'elsewhere', state: 'offline' });  // not on screen: silent
        out.push(count());
        handler({ camera_id: 'a40-west', state: 'degraded' });  // still up: silent
        out.push(count());
        handler({ camera_id: 'a40-west', state: 'offline' });  // on the wall, now down
        out.push(count());
        return out;
    }""")
    assert sounds[1] == sounds[0] and sounds[2] == sounds[0] and sounds[3] == sounds[0] + 1


def test_a_frozen_tile_says_so_when_the_server_is_down(
    console: ConsoleServer, new_page: Callable[..., Page], shots: Path
) -> None:
    engine = create_engine(console.db_url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Camera).where(Camera.id == "quay").values(
                state="degraded", state_reason="input 3.0 of 30 fps"))
    finally:
        engine.dispose()
    page = new_page()
    login(page, USER_OF_ROLE["detective"])
    _open(page, "wall")
    quay = page.locator(".tile[data-camera=quay]")  # degraded keeps its video, with the reason
    expect(quay.locator("[data-testid=tile-reason]")).to_have_text("input 3.0 of 30 fps")
    expect(quay.locator("[data-testid=tile-offline]")).to_have_count(0)
    tile = page.locator(".tile[data-camera=a40-west]")
    expect(tile).to_have_attribute("data-video", "playing", timeout=15_000)
    page.wait_for_timeout(2000)
    expect(tile.locator("[data-testid=tile-stale]")).to_have_count(0)  # its picture moves
    # A tile whose video no longer advances (a frozen stream; the player itself keeps real
    # tiles moving, so the test adds one whose <video> has no source) says how old it is.
    page.evaluate("""() => { const f = document.createElement('figure');
        f.className = 'tile'; f.dataset.camera = 'frozen';
        f.append(document.createElement('video'), document.createElement('figcaption'));
        document.querySelector('[data-testid=wall]').append(f); }""")
    frozen = page.locator(".tile[data-camera=frozen] [data-testid=tile-stale]")
    expect(frozen).to_contain_text("newest frame", timeout=10_000)
    expect(tile.locator("[data-testid=tile-stale]")).to_have_count(0)  # the live one: not
    page.screenshot(path=shots / "detective-wall-stale-tile.png")
    console.stop()
    try:
        expect(tile.locator("[data-testid=tile-stale]")).to_contain_text("SERVER UNREACHABLE",
                                                                          timeout=20_000)
        page.screenshot(path=shots / "detective-wall-server-down.png")
    finally:
        console.start()
