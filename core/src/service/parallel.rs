//! The one worker pool of the crate: a slice of items processed on all cores (or a given
//! number of threads) by named threads, results handed back to the calling thread as they
//! finish. Import (analysis, then encryption), batch export, backup and restore use it.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on every item of `items` (with its index) on up to one thread per core (named
/// `{name}-{n}`), and gives each result with its item's index to `on_result` on the
/// calling thread, in the order they finish. No new item starts once `cancel` is set or
/// `on_result` returns `false`; the indices never handed back are the items not done.
///
/// At most two results per thread wait for `on_result`, so memory stays bounded when the
/// results are large (an encrypted photo) and the caller is the slower side.
pub fn for_each_on_all_cores<T: Sync, R: Send>(
    name: &str,
    items: &[T],
    cancel: &AtomicBool,
    work: impl Fn(usize, &T) -> R + Sync,
    on_result: impl FnMut(usize, R) -> bool,
) {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    for_each_on(name, cores, items, cancel, work, on_result);
}

/// [`for_each_on_all_cores`] on `threads` threads: for work that waits (on the network)
/// more than it computes.
pub fn for_each_on<T: Sync, R: Send>(
    name: &str,
    threads: usize,
    items: &[T],
    cancel: &AtomicBool,
    work: impl Fn(usize, &T) -> R + Sync,
    mut on_result: impl FnMut(usize, R) -> bool,
) {
    let workers = threads.min(items.len());
    if workers == 0 {
        return;
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::sync_channel(workers);
    std::thread::scope(|scope| {
        for n in 0..workers {
            let (tx, next, stop, work) = (tx.clone(), &next, &stop, &work);
            std::thread::Builder::new()
                .name(format!("{name}-{n}"))
                .spawn_scoped(scope, move || {
                    loop {
                        if cancel.load(Ordering::Relaxed) || stop.load(Ordering::Relaxed) {
                            break;
                        }
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        if tx.send((i, work(i, item))).is_err() {
                            break;
                        }
                    }
                })
                .expect("the OS can start a worker thread");
        }
        drop(tx);
        let rx = rx;
        for (i, result) in rx.iter() {
            if !on_result(i, result) {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
        // Dropped before the scope joins the workers, so one blocked on a full channel ends.
        drop(rx);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_once_and_stopping_early_leaves_the_rest_undone() {
        let items: Vec<u32> = (0..100).collect();
        let mut seen = vec![0; 100];
        for_each_on_all_cores(
            "t",
            &items,
            &AtomicBool::new(false),
            |_, x| x * 2,
            |i, r| {
                assert_eq!(r, items[i] * 2);
                seen[i] += 1;
                true
            },
        );
        assert!(seen.iter().all(|&n| n == 1));

        let mut got = 0;
        for_each_on_all_cores(
            "t",
            &items,
            &AtomicBool::new(false),
            |_, x| *x,
            |_, _| {
                got += 1;
                got < 5
            },
        );
        assert_eq!(got, 5);

        let mut any = false;
        for_each_on_all_cores(
            "t",
            &items,
            &AtomicBool::new(true),
            |_, x| *x,
            |_, _| {
                any = true;
                true
            },
        );
        assert!(!any, "a cancelled run starts nothing");
    }
}
