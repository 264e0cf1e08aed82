//! Publication: committed pending files of one bucket and instance are merged, in order,
//! into one published file whose name records the range it holds.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::BufWriter;

use stream_core::Result;

use super::writer::{instance_of, position_of, Pending, TransactionalFileWriter};
use super::FileExtension;

impl<T, F: FileExtension, B> TransactionalFileWriter<T, F, B> {
    /// Publishes the committed pending files of each bucket whose committed data is big
    /// or old enough (all of them with `everything`).
    pub(super) fn publish(&mut self, everything: bool) -> Result {
        let mut buckets: BTreeMap<(String, usize), Vec<usize>> = BTreeMap::new();
        for (i, p) in self.pending.iter().enumerate().filter(|(_, p)| p.committed) {
            let origin = instance_of(&p.name).unwrap_or(self.instance);
            buckets
                .entry((p.bucket.clone(), origin))
                .or_default()
                .push(i);
        }
        let mut published = Vec::new();
        for ((bucket, origin), members) in buckets {
            let bytes: u64 = members.iter().map(|&i| self.pending[i].bytes).sum();
            let oldest = members
                .iter()
                .map(|&i| self.pending[i].checkpoint)
                .min()
                .unwrap_or(0);
            let due = everything
                || bytes >= self.rolling.target_size
                || self.last_checkpoint.saturating_sub(oldest) >= self.rolling.publish_every;
            if !due {
                continue;
            }
            self.publish_group(&bucket, origin, &members)?;
            published.extend(members);
        }
        published.sort_unstable();
        for i in published.into_iter().rev() {
            self.pending.remove(i);
        }
        Ok(())
    }

    /// Merges pending files (of one origin instance, in order) into one published file.
    fn publish_group(&self, bucket: &str, origin: usize, members: &[usize]) -> Result {
        let mut positions: Vec<((u64, u64), &Pending)> = members
            .iter()
            .map(|&i| {
                (
                    position_of(&self.pending[i].name).unwrap_or((0, 0)),
                    &self.pending[i],
                )
            })
            .collect();
        positions.sort_by_key(|(pos, _)| *pos);
        let (first, last) = (positions[0].0, positions[positions.len() - 1].0);
        let out_dir = self.bucket_dir("", bucket);
        fs::create_dir_all(&out_dir).map_err(|e| self.io("create", &out_dir, e))?;
        let name = format!(
            "part-{origin}-{:010}-{:06}-{:010}-{:06}.{}",
            first.0,
            first.1,
            last.0,
            last.1,
            self.format.ext()
        );
        let target = out_dir.join(&name);
        let pending_dir = self.bucket_dir(".pending", bucket);
        if !target.exists() {
            // Named after where the range starts, not where it ends: a run killed while
            // writing it leaves the file behind, and the run that publishes this origin
            // next starts at the same pending file (none of them was removed), so it
            // overwrites and renames it even if it merges more files by then.
            let tmp = out_dir.join(format!(
                ".part-{origin}-{:010}-{:06}.{}.tmp",
                first.0,
                first.1,
                self.format.ext()
            ));
            let mut out =
                BufWriter::new(File::create(&tmp).map_err(|e| self.io("create", &tmp, e))?);
            for (_, p) in &positions {
                let path = pending_dir.join(&p.name);
                let mut input = File::open(&path).map_err(|e| self.io("read", &path, e))?;
                std::io::copy(&mut input, &mut out).map_err(|e| self.io("write", &tmp, e))?;
            }
            let file = out
                .into_inner()
                .map_err(|e| self.io("write", &tmp, e.into_error()))?;
            file.sync_all().map_err(|e| self.io("write", &tmp, e))?;
            fs::rename(&tmp, &target).map_err(|e| self.io("publish", &target, e))?;
            File::open(&out_dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| self.io("sync", &out_dir, e))?;
        }
        for (_, p) in &positions {
            let path = pending_dir.join(&p.name);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(self.io("remove", &path, e)),
            }
        }
        Ok(())
    }

    /// True if a published file of `bucket` holds pending file `name` already.
    pub(super) fn already_published(&self, bucket: &str, name: &str) -> bool {
        let (Some(origin), Some(pos)) = (instance_of(name), position_of(name)) else {
            return false;
        };
        let Ok(entries) = fs::read_dir(self.bucket_dir("", bucket)) else {
            return false;
        };
        entries.filter_map(|e| e.ok()).any(|e| {
            let published = e.file_name().to_string_lossy().to_string();
            let stem = published.split('.').next().unwrap_or("");
            let fields: Vec<&str> = stem
                .strip_prefix("part-")
                .unwrap_or("")
                .split('-')
                .collect();
            if fields.len() != 5 || fields[0].parse::<usize>().ok() != Some(origin) {
                return false;
            }
            let num = |i: usize| fields[i].parse::<u64>().unwrap_or(0);
            ((num(1), num(2))..=(num(3), num(4))).contains(&pos)
        })
    }
}
