"""Apprise destinations through the outbox of a running bot (BotApp with the real Apprise) against a JSON
webhook on 127.0.0.1: each alert arrives once across a clean restart, a bot gone between the send and
its record repeats it at most once, and a webhook that fails (500) and recovers gets it once. Secrets
in the URLs never reach the log."""
from __future__ import annotations

import asyncio
import logging

from bot.alerts.botdb import connect_botdb
from bot.alerts.delivery import Delivery
from bot.alerts.outbox import enqueue
from bot.alerts.settings import AlertSettings
from bot.reply import Reply
from bot.metrics.settings import HealthSettings
from bot.settings import BotSettings
from bot.transports.apprise_transport import AppriseTransport, masked
from bot.transports.settings import AppriseSettings, AppriseURL
from monitor.server.settings import ServerSettings
from teafarm.apps import bot_app
from monitor.sqlite_tx import transaction
from teafarm.config import Config
from tests.helpers.alert_harness import RecordingTransport, queue_alert
from tests.helpers.chat_harness import run
from tests.helpers.ports import free_port
from tests.helpers.waiting import wait_until_async
from tests.helpers.webhook import Webhook

T0 = 1_800_000_000.0


def test_a_json_webhook_gets_each_alert_once_across_restarts_crashes_and_failures(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr("bot.alerts.delivery.RETRY_FIRST", 0.2)     # the retry after the 500 comes quickly
    caplog.set_level(logging.DEBUG)
    webhook = Webhook()
    listen = f"127.0.0.1:{free_port()}"

    def bot():
        urls = [AppriseURL(webhook.url("/farm").replace("json://", "json://farmer:s3cret@"), "info")]
        config = Config(data_dir=tmp_path / "data", server=ServerSettings(listen=listen),
                        bot=BotSettings(alerts=AlertSettings(startup_grace=0.0, daily_summary=""),
                                        health=HealthSettings(listen=""), apprise=AppriseSettings(urls)))
        return bot_app(config, transports=[AppriseTransport(urls)])

    def count(title: str, accepted_only: bool = True) -> int:
        return webhook.titles(accepted_only).count(title)

    async def scenario():
        await webhook.start()
        try:
            app = bot()
            await app.start()
            queue_alert(app.botdb_path, "Disk gone", "critical", "nas-1")
            await wait_until_async(lambda: count("Disk gone"), 30, "the first alert at the webhook")
            await app.stop()                                   # a clean restart

            app = bot()
            await app.start()
            queue_alert(app.botdb_path, "Harvester lost", "warning", "nas-2")
            await wait_until_async(lambda: count("Harvester lost"), 30, "the alert after the restart")
            webhook.open.clear()                               # the next send stays in flight ...
            queue_alert(app.botdb_path, "RAM full", "warning", "nas-3")
            await wait_until_async(lambda: count("RAM full", accepted_only=False), 30, "the send in flight")
            await app.stop()                                   # ... and the bot is gone before recording it
            webhook.open.set()

            app = bot()
            await app.start()
            await wait_until_async(lambda: count("RAM full") == 2, 30, "the unrecorded alert sent again")
            webhook.failing.append(500)                        # a broken service that recovers
            queue_alert(app.botdb_path, "Plots lost", "critical", "nas-4")
            await wait_until_async(lambda: count("Plots lost"), 30, "the alert after the 500")
            queue_alert(app.botdb_path, "Node out of sync", "warning", "nas-5")
            await wait_until_async(lambda: count("Node out of sync"), 30, "the last alert")
            await app.stop()
        finally:
            await webhook.stop()

    run(scenario(), timeout=150)
    assert webhook.titles() == ["Disk gone", "Harvester lost", "RAM full", "RAM full", "Plots lost", "Node out of sync"]
    assert count("Plots lost", accepted_only=False) == 2, "refused once (500), then accepted once"
    body = webhook.accepted[0]
    assert body["type"] == "failure" and "critical" not in body["title"].lower()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "failed (1 in a row)" in logged and "farmer:****@127.0.0.1" in logged
    assert "s3cret" not in logged


def test_masked_hides_the_secrets_of_each_service():
    assert masked("json://farmer:s3cret@10.0.0.2:8080/hook?token=abc") == "json://farmer:****@10.0.0.2:8080/hook"
    pushover = masked("pover://userkey1234567890@apptoken1234567890")
    assert "userkey1234567890" not in pushover and "apptoken1234567890" not in pushover
    assert masked("nosuchservice://secret@host/x") == "nosuchservice://***"


def test_an_apprise_url_that_does_not_answer_holds_up_no_other_destination(tmp_path, monkeypatch):
    """A webhook that takes the POST and never answers (its `rto` allows a minute): the chat beside it
    gets the alert while the Apprise send still waits; the send fails after SEND_TIMEOUT; a retry while
    Apprise's thread still waits fails at once (no second thread, no second POST); once the webhook
    answers, the retry delivers it (at most once more) and the row is done."""
    monkeypatch.setattr("bot.transports.apprise_transport.SEND_TIMEOUT", 1.0)
    webhook = Webhook()
    clock = [T0]
    botdb = connect_botdb(tmp_path / "bot.db")

    async def scenario():
        await webhook.start()
        hanging = AppriseTransport([AppriseURL(webhook.url() + "?rto=60", "info")])
        chat = RecordingTransport()
        await hanging.start(None)
        (url,) = hanging.alert_destinations()
        delivery = Delivery(botdb, [hanging, chat], AlertSettings(), clock=lambda: clock[0])
        try:
            with transaction(botdb):
                enqueue(botdb, Reply.text("Disk gone", severity="critical"), "nas-1", "test", T0, T0)
            webhook.open.clear()
            first = asyncio.create_task(delivery.deliver())
            await wait_until_async(lambda: chat.sent, 30, "the alert in the chat beside the silent webhook")
            apprise_failed_before_chat = delivery.failing.get(url.key) and delivery.failing[url.key].failures
            assert await first == 1
            failures_after_timeout = delivery.failing[url.key].failures
            clock[0] += 60                                    # past the retry's backoff, the webhook still silent
            assert await delivery.deliver() == 0
            retried_while_waiting = (delivery.failing[url.key].failures, len(webhook.received))
            webhook.open.set()
            await wait_until_async(lambda: webhook.accepted, 30, "the late answer to the first POST")
            await wait_until_async(lambda: hanging._in_flight[url.address].done(), 30, "Apprise's thread done")
            clock[0] += 600
            assert await delivery.deliver() == 1
            return apprise_failed_before_chat, failures_after_timeout, retried_while_waiting
        finally:
            await hanging.stop()
            await webhook.stop()

    before_chat, after_timeout, while_waiting = run(scenario(), timeout=60)
    assert not before_chat, "the chat got the alert while the Apprise send was still waiting"
    assert after_timeout == 1 and while_waiting == (2, 1)
    assert webhook.titles() == ["Disk gone", "Disk gone"]
    assert [tuple(r) for r in botdb.execute("SELECT done FROM outbox")] == [(1,)]
    botdb.close()
