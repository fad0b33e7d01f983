"""What people look at, against one running pipeline (`config/offline.yaml` on the walk-by video
and the demo clip): the dashboard in headless Chromium, `FAAS.py stats`, a real Prometheus
scraping every process, and the Grafana dashboard's queries."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import cv2
import numpy as np
import pytest
import redis
import yaml

from common import keys
from common.streams import group_lag
from tests.pipeline import Faas, free_port_block, write_config
from tests.servers import ROOT, RedisServer, free_port, missing, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
ARTIFACTS = ROOT / "artifacts"
MIN_SAMPLE = 30  # the demo clip alone has fewer faces than this, all cameras together more


@dataclass
class Pipeline:
    config: Path
    api: str
    metrics_base: int
    client: redis.Redis
    faas: Faas

    def get(self, path: str, **query: Any) -> Any:
        url = f"{self.api}{path}?{urllib.parse.urlencode(query)}"
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())


def blank_clip(path: Path) -> Path:
    """A camera that never ends and never shows a face: it keeps ingest (and its metrics) up
    while the numbers stay still."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), 10, (320, 240))
    for _ in range(30):
        writer.write(np.full((240, 320, 3), 128, np.uint8))
    writer.release()
    return path


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory, redis_current: RedisServer,
             shared_data: Path) -> Iterator[Pipeline]:
    tmp = tmp_path_factory.mktemp("outputs")
    client = redis_current.client()
    client.flushall()
    profile = yaml.safe_load((ROOT / "config" / "offline.yaml").read_text())
    actions = ["age", "gender", "emotion"]
    profile.update(
        redis={"url": redis_current.url},
        cameras=[
            {"id": "walkby", "url": str(shared_data / "videos" / "walkby.mp4"), "fps": 2,
             "speed": 3.0, "actions": actions},
            {"id": "demo", "url": str(ROOT / "demo" / "demo.mp4"), "fps": 2, "speed": 3.0,
             "actions": actions},
            {"id": "hall", "url": str(blank_clip(tmp / "blank.mp4")), "fps": 1, "loop": True,
             "actions": actions},
        ],
        aggregator={"api_port": (api_port := free_port()), "min_sample": MIN_SAMPLE},
        metrics={"host": "127.0.0.1", "base_port": (base := free_port_block(8))},
    )
    profile["detector"]["max_frame_age"] = "60s"
    config = write_config(tmp / "offline.yaml", **profile)
    faas = Faas.start(config, tmp / "faas.log")
    try:
        for camera in ("walkby", "demo"):
            wait_for(lambda: client.hget(keys.camera_state(camera), "status") == b"ended",
                     timeout=150, interval=0.5, message=f"{camera} to end")
        wait_for(lambda: all(group_lag(client, s, g) == 0 for s, g in (
            (keys.frames_stream("walkby"), keys.DETECTOR_GROUP),
            (keys.frames_stream("demo"), keys.DETECTOR_GROUP),
            (keys.FACES_STREAM, keys.ANALYZER_GROUP),
            (keys.ATTRIBUTES_STREAM, keys.AGGREGATOR_GROUP))), timeout=120, interval=0.5,
            message="drained")
        yield Pipeline(config, f"http://127.0.0.1:{api_port}", base, client, faas)
    finally:
        assert faas.interrupt() == 0


def test_stats_cli_json_equals_the_api_and_the_table_shows_it(pipeline: Pipeline) -> None:
    at = int(time.time() * 1000)
    for camera, window in (("all", "1h"), ("walkby", "15m")):
        result = subprocess.run(
            [sys.executable, "FAAS.py", "stats", "--camera", camera, "--window", window,
             "--at", str(at), "--json", "--config", str(pipeline.config)],
            cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout) == pipeline.get("/api/stats", camera=camera, window=window, at=at)
    table = subprocess.run([sys.executable, "FAAS.py", "stats", "--window", "1h", "--config",
                            str(pipeline.config)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    faces = pipeline.get("/api/stats", camera="all", window="1h")["faces"]
    assert table.returncode == 0 and f"{faces} faces" in table.stdout and "Woman" in table.stdout


def test_timeline_adds_up_to_the_window(pipeline: Pipeline) -> None:
    at = int(time.time() * 1000)
    timeline = pipeline.get("/api/timeline", camera="all", window="1h", step="1m", at=at)
    assert len(timeline["buckets"]) == 60
    total = pipeline.get("/api/stats", camera="all", window="1h", at=at)["faces"]
    assert sum(b["faces"] for b in timeline["buckets"]) == total > 0
    status = pipeline.get("/api/status")
    assert {c["id"]: c["state"]["status"] for c in status["cameras"]} == {
        "walkby": "ended", "demo": "ended", "hall": "up"}
    assert status["stages"]["analyzer"]["lag"] == 0 and status["dead_letters"] == 0


def _prometheus_query(port: int, expr: str) -> list[dict[str, Any]]:
    url = f"http://127.0.0.1:{port}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    with urllib.request.urlopen(url, timeout=5) as response:
        return list(json.loads(response.read())["data"]["result"])


def exported_names(pipeline: Pipeline) -> set[str]:
    """Every metric name the four FAAS processes expose (from their # HELP lines)."""
    names = set()
    for offset in range(4):
        url = f"http://127.0.0.1:{pipeline.metrics_base + offset}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            names |= set(re.findall(r"^# HELP (\w+)", response.read().decode(), re.M))
    return names


def test_a_real_prometheus_scrapes_every_process(pipeline: Pipeline, tmp_path: Path) -> None:
    binary = shutil.which("prometheus")
    if binary is None:
        missing("prometheus (apt install prometheus)")
    config = yaml.safe_load((ROOT / "deploy" / "prometheus.yml").read_text())
    config["global"]["scrape_interval"] = "1s"
    targets = config["scrape_configs"][0]["static_configs"]
    assert [t["labels"]["faas_process"] for t in targets] == ["ingest", "detector", "aggregator", "analyzer"]
    for offset, target in enumerate(targets):  # the test's ports, in the shipped file's order
        target["targets"] = [f"127.0.0.1:{pipeline.metrics_base + offset}"]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    server = subprocess.Popen([str(binary), f"--config.file={tmp_path / 'prometheus.yml'}",
                               f"--storage.tsdb.path={tmp_path / 'data'}",
                               f"--web.listen-address=127.0.0.1:{port}"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def scraped(expr: str) -> list[dict[str, Any]]:
            try:
                return _prometheus_query(port, expr)
            except OSError:
                return []

        up = wait_for(lambda: r if len(r := scraped('up{job="faas"} == 1')) == 4 else None,
                      timeout=60, interval=0.5, message="all four processes up in Prometheus")
        assert {s["metric"]["faas_process"] for s in up} == {"ingest", "detector", "aggregator", "analyzer"}
        analyzed = wait_for(lambda: scraped("sum(faas_faces_analyzed_total) > 0"), timeout=30,
                            message="faces analyzed")
        assert float(analyzed[0]["value"][1]) > 0
        windows = scraped('faas_window_count{attribute="faces", window="1h"} > 0')
        assert {s["metric"]["camera"] for s in windows} >= {"walkby", "demo"}
        assert scraped('faas_window_count{attribute="gender", value="Woman"}')
    finally:
        server.terminate()
        server.wait(30)


def test_grafana_dashboard_queries_parse_and_name_real_metrics(pipeline: Pipeline,
                                                              tmp_path: Path) -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        missing("promtool (apt install prometheus)")
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "faas.json").read_text())
    assert dashboard["uid"] and dashboard["panels"]
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    exprs += [v["query"]["query"].replace("label_values(", "group by (camera) (").replace(", camera)", ")")
              for v in dashboard["templating"]["list"] if v.get("type") == "query"]
    concrete = [e.replace("$camera", ".*").replace("$window", "5m") for e in exprs]
    rules = {"groups": [{"name": "grafana", "rules": [
        {"record": f"faas:grafana_check_{i}", "expr": e} for i, e in enumerate(concrete)]}]}
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(rules))
    checked = subprocess.run([str(promtool), "check", "rules", str(tmp_path / "rules.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    used = {name for e in exprs for name in re.findall(r"\bfaas_\w+", e)}
    exported = exported_names(pipeline)
    unknown = {name for name in used  # a histogram's series are <name>_bucket, _sum, _count
               if name not in exported and re.sub(r"_(bucket|sum|count)$", "", name) not in exported}
    assert len(used) >= 10 and not unknown, unknown


def test_dashboard_in_headless_chromium(pipeline: Pipeline) -> None:
    chromium, driver_path = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver_path is None:
        missing("chromium and chromium-driver (apt install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--no-first-run",
                 "--disable-sync", "--window-size=1400,1600"):
        options.add_argument(flag)
    browser = webdriver.Chrome(options=options, service=Service(executable_path=str(driver_path)))
    try:
        browser.get(f"{pipeline.api}/?window=1h")

        def page_matches(camera: str, window: str) -> bool:
            api = pipeline.get("/api/stats", camera=camera, window=window)
            shown = browser.find_element(By.ID, "faces-count").text
            if shown != str(api["faces"]):
                return False
            rows = browser.find_elements(By.CSS_SELECTOR, '[data-attribute="gender"] tr[data-value]')
            counts = {r.get_attribute("data-value"): int(r.find_element(By.CLASS_NAME, "count").text)
                      for r in rows}
            expected = {v: e["count"] for v, e in api["attributes"]["gender"]["values"].items()}
            sample = browser.find_element(By.CSS_SELECTOR, '[data-attribute="gender"] .sample').text
            n = api["attributes"]["gender"]["n"]
            return counts == expected and (f"n = {n}" in sample)

        def too_few() -> bool:
            card = browser.find_element(By.CSS_SELECTOR, '[data-attribute="gender"]')
            return "too-few" in (card.get_attribute("class") or "") and "too few" in card.text

        wait_for(lambda: page_matches("all", "1h"), timeout=30, interval=0.5,
                 message="the page to show /api/stats for all cameras, 1h")
        assert int(browser.find_element(By.ID, "faces-count").text) >= MIN_SAMPLE
        assert not too_few()
        browser.find_element(By.CSS_SELECTOR, '#windows button[data-window="15m"]').click()
        wait_for(lambda: page_matches("all", "15m"), timeout=30, interval=0.5, message="15m")
        Select(browser.find_element(By.ID, "camera")).select_by_value("demo")
        wait_for(lambda: page_matches("demo", "15m"), timeout=30, interval=0.5, message="camera demo")
        statuses = {r.get_attribute("data-camera"): r.find_elements(By.TAG_NAME, "td")[1].text
                    for r in browser.find_elements(By.CSS_SELECTOR, "#cameras tr[data-camera]")}
        assert statuses == {"walkby": "ended", "demo": "ended", "hall": "up"}
        demo_n = pipeline.get("/api/stats", camera="demo", window="15m")["attributes"]["gender"]["n"]
        assert 0 < demo_n < MIN_SAMPLE and too_few()  # greyed and labelled, with its sample size
        assert f"n = {demo_n}" in browser.find_element(
            By.CSS_SELECTOR, '[data-attribute="gender"] .sample').text
        ARTIFACTS.mkdir(exist_ok=True)
        browser.save_screenshot(str(ARTIFACTS / "dashboard.png"))
    finally:
        browser.quit()
