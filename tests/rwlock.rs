//! Read/write locks (SPEC §2.1): `--shared` readers hold together, `--write` holds alone, a
//! reader that comes after a waiting writer waits for it; and all of it on one path with
//! Curator's InterProcessReadWriteLock (Java).

mod support;

use std::path::Path;
use std::time::Duration;

use support::*;

fn servers() -> String {
    shared().connect()
}

fn release(dir: &Path) {
    std::fs::write(dir.join("release"), "").expect("release");
}

#[test]
fn readers_share_a_writer_is_alone_and_is_not_starved() {
    let path = unique_path("rw");
    let log = workdir("rw").join("log");
    let zk = Zk::connect(&servers());
    let (r1, r1_dir) = logged_holder(&path, &log, "r1", &["--shared"]);
    assert!(eventually(Duration::from_secs(15), || r1_dir
        .join("held")
        .exists()));
    // A second reader runs while the first holds.
    let (r2, r2_dir) = logged_holder(&path, &log, "r2", &["--shared"]);
    assert!(eventually(Duration::from_secs(15), || r2_dir
        .join("held")
        .exists()));
    let (w, w_dir) = logged_holder(&path, &log, "w", &["--write"]);
    zk.wait_children(&path, 3, Duration::from_secs(15));
    // A reader after the waiting writer waits for it.
    let (r3, r3_dir) = logged_holder(&path, &log, "r3", &["--shared"]);
    zk.wait_children(&path, 4, Duration::from_secs(15));
    let ls = run(zklock(&servers()).args(["ls", "-l", &path]));
    assert_eq!(
        long_roles(&ls.stdout),
        ["reader", "reader", "waiting 2", "waiting 3"],
        "{}",
        ls.stdout
    );
    let json = run(zklock(&servers()).args(["ls", "--json", &path]));
    assert_eq!(
        json.stdout.matches(r#""role":"reader""#).count(),
        2,
        "{}",
        json.stdout
    );
    assert_eq!(
        json.stdout
            .matches(r#""role":"waiting","position":"#)
            .count(),
        2,
        "{}",
        json.stdout
    );
    release(&r1_dir);
    release(&r2_dir);
    assert!(eventually(Duration::from_secs(15), || w_dir
        .join("held")
        .exists()));
    release(&w_dir);
    assert!(eventually(Duration::from_secs(15), || r3_dir
        .join("held")
        .exists()));
    release(&r3_dir);
    for p in [r1, r2, w, r3] {
        let ran = p.wait_timeout(Duration::from_secs(20)).expect("exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    let s = spans(&log);
    assert!(s["r2"].0 < s["r1"].1, "readers did not share: {s:?}");
    assert!(
        s["w"].0 > s["r1"].1 && s["w"].0 > s["r2"].1,
        "writer not alone: {s:?}"
    );
    assert!(
        s["r3"].0 > s["w"].1,
        "a later reader overtook the writer: {s:?}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}

const RW: &str = r#"
import org.apache.curator.framework.*;
import org.apache.curator.framework.recipes.locks.*;
import org.apache.curator.retry.RetryOneTime;
import java.nio.file.*;

public class Rw {
    static void log(String file, String what, String tag) throws Exception {
        Files.writeString(Paths.get(file), what + " " + System.currentTimeMillis() * 1000000L + " " + tag + "\n",
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }
    // servers path read|write log tag: holds until a file named "release-<tag>" sits beside the log.
    public static void main(String[] a) throws Exception {
        CuratorFramework c = CuratorFrameworkFactory.newClient(a[0], 10000, 4000, new RetryOneTime(100));
        c.start();
        InterProcessReadWriteLock rw = new InterProcessReadWriteLock(c, a[1]);
        InterProcessMutex m = a[2].equals("read") ? rw.readLock() : rw.writeLock();
        m.acquire();
        log(a[3], "start", a[4]);
        Path held = Paths.get(a[3]).resolveSibling("held-" + a[4]);
        Files.writeString(held, "");
        while (!Files.exists(Paths.get(a[3]).resolveSibling("release-" + a[4]))) Thread.sleep(20);
        log(a[3], "end", a[4]);
        m.release();
        c.close();
    }
}
"#;

fn curator(path: &str, mode: &str, log: &Path, tag: &str) -> Background {
    Background::spawn(peers::java("Rw", RW).args([
        &servers(),
        path,
        mode,
        &log.display().to_string(),
        tag,
    ]))
}

/// zklock and Curator on one read/write lock: a zklock reader shares with a Curator reader, a
/// Curator writer waits for both and a zklock reader behind it waits for it; a zklock writer
/// and a Curator reader behind it, the same the other way round.
#[test]
fn zklock_and_curator_share_one_read_write_lock() {
    let path = unique_path("rw-curator");
    let dir = workdir("rw-curator");
    let log = dir.join("log");
    let zk = Zk::connect(&servers());
    let cr = curator(&path, "read", &log, "cr");
    assert!(eventually(Duration::from_secs(30), || dir
        .join("held-cr")
        .exists()));
    let (zr, zr_dir) = logged_holder(&path, &log, "zr", &["--shared"]);
    assert!(eventually(Duration::from_secs(15), || zr_dir
        .join("held")
        .exists()));
    let cw = curator(&path, "write", &log, "cw");
    zk.wait_children(&path, 3, Duration::from_secs(30));
    let (zr2, zr2_dir) = logged_holder(&path, &log, "zr2", &["--shared"]);
    zk.wait_children(&path, 4, Duration::from_secs(15));
    let (zw, zw_dir) = logged_holder(&path, &log, "zw", &["--write"]);
    zk.wait_children(&path, 5, Duration::from_secs(15));
    let cr2 = curator(&path, "read", &log, "cr2");
    zk.wait_children(&path, 6, Duration::from_secs(30));

    std::fs::write(dir.join("release-cr"), "").expect("release");
    release(&zr_dir);
    assert!(eventually(Duration::from_secs(15), || dir
        .join("held-cw")
        .exists()));
    std::fs::write(dir.join("release-cw"), "").expect("release");
    assert!(eventually(Duration::from_secs(15), || zr2_dir
        .join("held")
        .exists()));
    release(&zr2_dir);
    assert!(eventually(Duration::from_secs(15), || zw_dir
        .join("held")
        .exists()));
    release(&zw_dir);
    assert!(eventually(Duration::from_secs(30), || dir
        .join("held-cr2")
        .exists()));
    std::fs::write(dir.join("release-cr2"), "").expect("release");
    for p in [cr, cw, cr2] {
        let ran = p
            .wait_timeout(Duration::from_secs(30))
            .expect("curator exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    for p in [zr, zr2, zw] {
        let ran = p
            .wait_timeout(Duration::from_secs(20))
            .expect("zklock exits");
        assert_eq!(ran.code, Some(0), "{ran:?}");
    }
    let s = spans(&log);
    assert!(
        s["zr"].0 < s["cr"].1,
        "zklock's reader did not share with Curator's: {s:?}"
    );
    assert!(
        s["cw"].0 > s["cr"].1 && s["cw"].0 > s["zr"].1,
        "Curator's writer not alone: {s:?}"
    );
    assert!(
        s["zr2"].0 > s["cw"].1,
        "zklock's reader overtook Curator's writer: {s:?}"
    );
    assert!(s["zw"].0 > s["zr2"].1, "zklock's writer not alone: {s:?}");
    assert!(
        s["cr2"].0 > s["zw"].1,
        "Curator's reader overtook zklock's writer: {s:?}"
    );
    zk.assert_empty_soon(&path, Duration::from_secs(10));
}

/// `-w` and `-E` work for a reader: behind a writer it gives up with the conflict status,
/// leaving only the writer's node.
#[test]
fn a_reader_behind_a_writer_gives_up_on_time() {
    let path = unique_path("rw-wait");
    let holder = hold_with(&servers(), &path, "rw-wait-writer", &["--write"]);
    let ran =
        run(zklock(&servers()).args(["--shared", "-w", "700ms", "-E", "9", &path, "--", "true"]));
    assert_eq!(ran.code, Some(9), "{ran:?}");
    let zk = Zk::connect(&servers());
    assert_eq!(zk.children(&path).len(), 1, "only the writer remains");
    assert_eq!(holder.release().code, Some(0));
    zk.assert_empty_soon(&path, Duration::from_secs(5));
}
