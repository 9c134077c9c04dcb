"""Feed builds take turns: a build waits for the one before it and reads the store only then,
so a build that read older data never replaces newer feeds; and a temp file left by a build
killed between writing and renaming is cleared by the next."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from hsctwatch.stories.publish import build_feeds, building
from hsctwatch.stories.review import set_status
from tests.desk import NEWS, item_id, make_desk


def test_a_build_waits_its_turn_and_then_reads_the_store(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url, publish="approved")
    assert desk.feed_titles() == []
    with building(desk.config.data_dir):  # a build (the desk's, a run's) is under way
        waiting = threading.Thread(target=build_feeds, args=(desk.config,))
        waiting.start()
        time.sleep(1.0)
        assert waiting.is_alive(), "the second build did not wait for the first"
        set_status(desk.store, [str(item_id(desk, NEWS))], "approved")  # an editor approves meanwhile
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert desk.feed_titles() == ["HSCT for MS: MIST at ten years"]  # what it read came after


def test_builds_from_many_threads_end_with_the_last_decision(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url, publish="approved")
    news = str(item_id(desk, NEWS))
    threads = [threading.Thread(target=build_feeds, args=(desk.config,)) for _ in range(6)]
    for thread in threads:
        thread.start()
    set_status(desk.store, [news], "approved")
    last = threading.Thread(target=build_feeds, args=(desk.config,))
    last.start()
    for thread in (*threads, last):
        thread.join(timeout=60)
    assert desk.feed_titles() == ["HSCT for MS: MIST at ten years"]


def test_a_temp_file_of_a_killed_build_is_cleared(tmp_path: Path, store_url: str) -> None:
    desk = make_desk(tmp_path, store_url)
    out = desk.config.feeds_dir
    left = [out / ".rss.xml.k1ll3d.tmp", out / "tags" / ".research.xml.x9.tmp"]
    for path in left:
        path.write_bytes(b"<rss>half a feed")
    build_feeds(desk.config)
    assert not [path for path in left if path.exists()]
    assert not list(out.rglob("*.tmp"))
