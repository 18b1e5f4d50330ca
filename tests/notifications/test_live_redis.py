"""Real Redis, real daphne processes, real WebSocket clients."""

import asyncio
import http.cookiejar
import json
import os
import re
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
import redis

from tests.integration.conftest import missing_service
from tests.support import livestack

pytestmark = [pytest.mark.redis, pytest.mark.asyncio]


@pytest.fixture(scope="module")
def live_redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        missing_service("TEST_REDIS_URL is not set: no real Redis to test against")
    return url


@pytest.fixture(scope="module")
def site(tmp_path_factory, live_redis_url):
    var_dir = tmp_path_factory.mktemp("live-site")
    env = livestack.site_env(var_dir, live_redis_url)
    livestack.migrate(env)
    users = livestack.create_users(env, 60, prefix="live")
    return {"env": env, "users": users, "var_dir": var_dir}


def _daphne(site, layer: str):
    env = {**site["env"], "CHANNEL_LAYER": layer}
    port = livestack.free_port()
    return livestack.start_daphne(env, port), port


async def test_redis_notification_reaches_a_client_on_the_other_web_process(site):
    (alice_id, alice_token), (bob_id, bob_token) = site["users"][:2]
    process_a, port_a = _daphne(site, "pubsub")
    process_b, port_b = _daphne(site, "pubsub")
    try:
        socket_a, _ = await livestack.ws_open(port_a, alice_token)
        socket_b, _ = await livestack.ws_open(port_b, bob_token)

        await asyncio.to_thread(livestack.notify_in_process, site["env"], [bob_id], "To Bob")
        await asyncio.to_thread(livestack.notify_in_process, site["env"], [alice_id], "To Alice")

        got_b = await livestack.ws_next(socket_b, "notification")
        got_a = await livestack.ws_next(socket_a, "notification")
        assert got_b["notification"]["title"] == "To Bob"
        assert got_a["notification"]["title"] == "To Alice"
        await socket_a.close()
        await socket_b.close()
    finally:
        livestack.stop(process_a)
        livestack.stop(process_b)


@pytest.mark.parametrize("layer", ["pubsub"])  # "core" measured worse: docs/benchmarks.md
async def test_redis_mass_connect_and_disconnect_leaves_no_group_members(
    site, live_redis_url, layer
):
    users = site["users"]
    process, port = _daphne(site, layer)
    client = redis.Redis.from_url(live_redis_url)
    prefix = _layer_prefix(site)
    user_ids = [pk for pk, _token in users]
    client.delete(*[f"{prefix}:group:user.{pk}" for pk in user_ids])
    try:
        tokens = [users[i % len(users)][1] for i in range(600)]
        opened = await livestack.ws_open_many(port, tokens)
        # The groups are where this counts them: members while the sockets are open.
        assert _group_members(client, layer, prefix, user_ids) > 0

        await asyncio.gather(*(socket.close() for socket, _hello in opened))
        members = await _wait_for_no_members(client, layer, prefix, user_ids)

        assert len(opened) == 600
        assert members == 0
        socket, _ = await livestack.ws_open(port, users[0][1])
        await asyncio.to_thread(livestack.notify_in_process, site["env"], [users[0][0]], "After")
        assert (await livestack.ws_next(socket, "notification"))["notification"]["title"] == "After"
        await socket.close()
    finally:
        livestack.stop(process)
        client.close()
    errors = process.stderr.read().decode()
    assert "group_discard failed" not in errors
    assert "Traceback" not in errors


def _layer_prefix(site) -> str:
    """The channel layer's prefix of the site (``CHANNEL_LAYER_PREFIX`` in the settings)."""
    return f"{site['env']['CACHE_KEY_PREFIX']}-asgi"


def _group_members(client, layer: str, prefix: str, user_ids: list[int]) -> int:
    if layer == "core":
        return sum(client.zcard(f"{prefix}:group:user.{pk}") for pk in user_ids)
    names = [f"{prefix}__group__user.{pk}" for pk in user_ids]
    return sum(count for _name, count in client.pubsub_numsub(*names))


async def _wait_for_no_members(
    client, layer: str, prefix: str, user_ids: list[int], timeout: float = 20
):
    """Disconnect handlers run in a thread pool; give them time, then report what is left."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    members = _group_members(client, layer, prefix, user_ids)
    while members and loop.time() < deadline:
        await asyncio.sleep(0.5)
        members = _group_members(client, layer, prefix, user_ids)
    return members


ADMIN_PASSWORD = "live-Admin-pass-42"  # noqa: S105 - throw-away site
CREATE_ADMIN = """
import json
from apps.accounts.models import User
from rest_framework_simplejwt.tokens import AccessToken
user, _new = User.objects.get_or_create(
    username="live-admin", defaults={{"role": "admin", "email": "live-admin@example.org"}}
)
user.set_password({password!r})
user.save()
print(json.dumps(str(AccessToken.for_user(user))))
"""


def _admin_token(env) -> str:
    return livestack.run_python(env, CREATE_ADMIN.format(password=ADMIN_PASSWORD))


def _status(port: int, path: str, token: str) -> int:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return response.status


def _log_in_and_open_home(port: int) -> tuple[int, str]:
    """A browser's way in: the login form (CSRF, lockout check), then the home page."""
    base = f"http://127.0.0.1:{port}"
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    with browser.open(f"{base}/accounts/login/", timeout=10) as response:
        form = response.read().decode()
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    fields = {"username": "live-admin", "password": ADMIN_PASSWORD, "csrfmiddlewaretoken": csrf}
    body = urllib.parse.urlencode(fields).encode()
    with browser.open(f"{base}/accounts/login/", data=body, timeout=10) as response:
        return response.status, response.url


def _get_json(port: int, path: str, token: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


async def test_redis_outage_keeps_storing_and_pushes_resume_after_restart(site, tmp_path: Path):
    redis_port = livestack.free_port()
    redis_process = livestack.start_redis(redis_port, tmp_path)
    env = {**site["env"], "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0"}
    web_port = livestack.free_port()
    web = livestack.start_daphne(env, web_port)
    user_id, token = site["users"][5]
    admin_token = await asyncio.to_thread(_admin_token, env)
    try:
        socket, hello = await livestack.ws_open(web_port, token)
        unread_before = hello["unread_count"]
        last_id = (await asyncio.to_thread(livestack.notify_in_process, env, [user_id], "Up"))[0]
        assert (await livestack.ws_next(socket, "notification"))["notification"]["id"] == last_id

        livestack.stop(redis_process)
        during = await asyncio.to_thread(livestack.notify_in_process, env, [user_id], "During")
        count = await asyncio.to_thread(
            _get_json, web_port, "/api/v1/notifications/unread-count/", token
        )
        assert count == {"unread_count": unread_before + 2}
        started = time.monotonic()
        students = await asyncio.to_thread(_status, web_port, "/api/v1/students/", admin_token)
        home = await asyncio.to_thread(_log_in_and_open_home, web_port)
        assert students == 200  # throttled and cached reads fail open
        assert home == (200, f"http://127.0.0.1:{web_port}/")  # lockout fails open too
        assert time.monotonic() - started < 10

        redis_process = livestack.start_redis(redis_port, tmp_path)
        socket = await _reconnect(web_port, token)
        await socket.send(json.dumps({"action": "resume", "after_id": last_id}))
        replayed = await livestack.ws_next(socket, "notification")
        assert replayed["notification"]["id"] == during[0]

        after = await asyncio.to_thread(livestack.notify_in_process, env, [user_id], "After")
        pushed = await livestack.ws_next(socket, "notification", timeout=15)
        assert pushed["notification"]["id"] == after[0]
        await socket.close()
    finally:
        livestack.stop(web)
        livestack.stop(redis_process)


async def _reconnect(port: int, token: str, attempts: int = 20):
    """What the browser client does: retry with backoff until the server takes us back."""
    delay = 0.2
    for _ in range(attempts):
        try:
            socket, _hello = await livestack.ws_open(port, token, timeout=5)
            return socket
        except Exception:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2)
    raise AssertionError("could not reconnect after Redis came back")


async def test_redis_two_sites_sharing_one_redis_do_not_share_notification_groups(
    live_redis_url, tmp_path
):
    """Each site's user 1 listens on the group ``user_1``: the site's key prefix
    (``CACHE_KEY_PREFIX``) keeps one site's notice from reaching the other's user."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    from tests.test_settings_defaults import new_key, read_settings, settings_env

    layers = []
    for prefix in ("school-a", "school:b"):
        env = settings_env(
            tmp_path,
            DEBUG="1",
            SECRET_KEY=new_key(),
            REDIS_URL=live_redis_url,
            CACHE_KEY_PREFIX=prefix,
        )
        config = read_settings(env, "CHANNEL_LAYERS")["CHANNEL_LAYERS"]["default"]["CONFIG"]
        layers.append(RedisPubSubChannelLayer(**config))
    site_a, site_b = layers
    try:
        listener = await site_b.new_channel()
        await site_b.group_add("user_1", listener)

        await site_a.group_send("user_1", {"type": "notify", "title": "For A's user 1"})
        await site_b.group_send("user_1", {"type": "notify", "title": "For B's user 1"})

        received = await asyncio.wait_for(site_b.receive(listener), 5)
        assert received["title"] == "For B's user 1"
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(site_b.receive(listener), 0.5)
    finally:
        for layer in layers:
            await layer.flush()
