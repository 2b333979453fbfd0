//! The store conformance suite against the SQLite store, each check on a new database file in
//! its own temp folder.

use galeri_tests::conformance::StoreUnderTest;
use galeri_vouchers::sqlite::SqliteStore;
use galeri_vouchers::VoucherStore;
use std::sync::Arc;

/// A prepared store on a new file; the temp folder lives as long as the check.
async fn fresh_store() -> StoreUnderTest {
    let dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(error) => panic!("temp dir: {error}"),
    };
    let store = match SqliteStore::open(&dir.path().join("vouchers.db")) {
        Ok(store) => store,
        Err(error) => panic!("opening SQLite: {error}"),
    };
    if let Err(error) = store.prepare().await {
        panic!("preparing SQLite: {error}");
    }
    StoreUnderTest {
        store: Arc::new(store),
        guard: Some(Box::new(dir)),
    }
}

galeri_tests::conformance_tests!(fresh_store());
