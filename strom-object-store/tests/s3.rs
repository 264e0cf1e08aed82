//! Checkpoint storage in a real S3-compatible server (moto, started on loopback by the
//! tests): files as objects, folders as key prefixes, errors that name the location, and a
//! job that stops with a savepoint in S3 and resumes from it exactly.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use object_store::aws::AmazonS3Builder;
use object_store::RetryConfig;
use stream_core::aggregate::count;
use stream_runtime::api::StreamEnv;
use stream_runtime::checkpoint::CheckpointStorage;
use stream_runtime::connectors::sink::{collect_sink, CollectSink};
use stream_runtime::connectors::source::generator;
use stream_runtime::Config;
use strom_object_store::{checkpoint_storage_with, ObjectStorage};
use support::moto::Moto;

fn s3(moto: &Moto, location: &str) -> ObjectStorage {
    ObjectStorage::s3(location, &moto.options()).unwrap()
}

#[test]
fn checkpoint_files_are_objects_and_folders_are_key_prefixes() {
    let moto = Moto::start();
    moto.create_bucket("files");
    let storage = s3(&moto, "s3://files/jobs/one");
    storage.write("chk-1/task-0-0", b"zero").unwrap();
    storage.write("chk-1/_metadata", b"meta").unwrap();
    storage.write("chk-10/task-0-0", b"ten").unwrap();
    storage.write("_finished", b"finished").unwrap();
    assert_eq!(storage.read("chk-1/task-0-0").unwrap(), b"zero");
    assert!(storage.exists("chk-1/_metadata").unwrap());
    assert!(!storage.exists("chk-2/_metadata").unwrap());
    // A file rewritten is replaced whole.
    storage.write("chk-1/task-0-0", b"again").unwrap();
    assert_eq!(storage.read("chk-1/task-0-0").unwrap(), b"again");

    let mut folders = storage.folders().unwrap();
    folders.sort();
    assert_eq!(folders, ["chk-1", "chk-10"], "files are not folders");
    // Another prefix of the same bucket is another storage.
    let other = s3(&moto, "s3://files/jobs/two/");
    assert!(other.folders().unwrap().is_empty());
    other.write("chk-1/_metadata", b"other").unwrap();

    // Deleting `chk-1` leaves `chk-10` (prefixes are whole path segments) and the other
    // job's `chk-1` alone; deleting it again is not an error.
    storage.delete_folder("chk-1").unwrap();
    storage.delete_folder("chk-1").unwrap();
    assert!(!storage.exists("chk-1/task-0-0").unwrap());
    assert_eq!(storage.folders().unwrap(), ["chk-10"]);
    assert_eq!(storage.read("chk-10/task-0-0").unwrap(), b"ten");
    assert_eq!(other.read("chk-1/_metadata").unwrap(), b"other");
}

#[test]
fn a_file_larger_than_one_part_goes_up_in_parts_and_comes_back_whole() {
    let moto = Moto::start();
    moto.create_bucket("large");
    let storage = s3(&moto, "s3://large");
    // Two and a half parts of 16 MiB.
    let bytes: Vec<u8> = (0..40u32 << 20).map(|i| (i % 251) as u8).collect();
    storage.write("chk-1/task-0-0", &bytes).unwrap();
    assert!(storage.read("chk-1/task-0-0").unwrap() == bytes);
    assert_eq!(storage.folders().unwrap(), ["chk-1"]);
}

#[test]
fn a_missing_file_or_bucket_is_an_error_that_names_the_location() {
    let moto = Moto::start();
    moto.create_bucket("present");
    let storage = s3(&moto, "s3://present/p");
    let error = storage.read("chk-3/_metadata").unwrap_err();
    assert_eq!(error.kind(), stream_core::ErrorKind::Io);
    let message = error.to_string();
    assert!(
        message.contains("s3://present/p/chk-3/_metadata"),
        "{message}"
    );

    let absent = s3(&moto, "s3://absent/p");
    let message = absent
        .write("chk-1/_metadata", b"x")
        .unwrap_err()
        .to_string();
    assert!(message.contains("cannot write checkpoint file `s3://absent/p/chk-1/_metadata`"));
}

#[test]
fn an_unreachable_store_is_an_error_not_a_missing_file() {
    let mut moto = Moto::start();
    moto.create_bucket("gone");
    // Few retries, so that the test does not wait out object_store's 3 minutes.
    let store = AmazonS3Builder::new()
        .with_bucket_name("gone")
        .with_endpoint(&moto.endpoint)
        .with_allow_http(true)
        .with_access_key_id("strom-test")
        .with_secret_access_key("strom-test")
        .with_region("us-east-1")
        .with_retry(RetryConfig {
            max_retries: 1,
            retry_timeout: Duration::from_secs(2),
            ..RetryConfig::default()
        })
        .build()
        .unwrap();
    let storage = ObjectStorage::new(Arc::new(store), "p", "s3://gone/p").unwrap();
    storage.write("chk-1/_metadata", b"x").unwrap();
    moto.stop();
    // `exists` must not answer `false`: recovery deletes folders without metadata.
    let error = storage.exists("chk-1/_metadata").unwrap_err().to_string();
    assert!(error.contains("s3://gone/p/chk-1/_metadata"), "{error}");
    assert!(storage.write("chk-2/_metadata", b"y").is_err());
    assert!(storage.folders().is_err());
}

#[test]
fn options_that_are_not_s3_options_are_refused_by_name() {
    let error = checkpoint_storage_with("s3://b/p", &[("aws_endpiont", "http://x")])
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("`aws_endpiont` is not an S3 option"),
        "{error}"
    );
    let error = checkpoint_storage_with("gs://b/p", &[])
        .unwrap_err()
        .to_string();
    assert!(error.contains("`gs` is not one"), "{error}");
}

const KEYS: u64 = 7;

/// An unbounded, rate-limited count per key, every count emitted.
fn counting_job(out: &CollectSink<(u64, u64)>) -> stream_runtime::job::Job {
    let env = StreamEnv::new("counts");
    env.source(generator(|i| i).chunk(1).rate_limit(50_000.0))
        .parallelism(2)
        .key_by(|i: &u64| i % KEYS)
        .aggregate(count())
        .sink(out.clone());
    env.build().unwrap()
}

#[test]
fn a_job_stopped_with_a_savepoint_in_s3_resumes_from_it_counting_every_record_once() {
    let moto = Moto::start();
    moto.create_bucket("checkpoints");
    let options = moto.options();
    let config = || {
        let storage = checkpoint_storage_with("s3://checkpoints/counts", &options).unwrap();
        Config::default()
            .parallelism(2)
            .checkpoint_storage(storage)
            .checkpoint_every(Duration::from_millis(50))
    };
    let out = collect_sink();
    let handle = counting_job(&out).start(config());
    std::thread::sleep(Duration::from_millis(400));
    let (savepoint, report) = handle.stop_with_savepoint().map_err(|(e, _)| e).unwrap();
    assert!(report.checkpoints.len() >= 2, "{:?}", report.checkpoints);
    let first = out.take();
    assert!(!first.is_empty());

    // A new storage object (as a new process would open) finds the savepoint.
    let handle = counting_job(&out).start(config().resume_from(savepoint));
    std::thread::sleep(Duration::from_millis(300));
    let report = handle.stop().unwrap();
    assert_eq!(report.restored_from, Some(savepoint));
    let second = out.take();
    assert!(!second.is_empty());

    // Every key's counts run 1, 2, 3, ... across both runs.
    let mut per_key: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
    for (key, n) in first.into_iter().chain(second) {
        per_key.entry(key).or_default().push(n);
    }
    for (key, counts) in per_key {
        let expected: Vec<u64> = (1..=counts.len() as u64).collect();
        assert_eq!(counts, expected, "key {key}");
    }
    let storage = s3(&moto, "s3://checkpoints/counts");
    assert!(storage
        .exists(&format!("chk-{savepoint:010}/_metadata"))
        .unwrap());
}
