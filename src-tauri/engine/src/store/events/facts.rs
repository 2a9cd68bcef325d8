//! The stand-in for the `events_fact` index while a large file loads.
//!
//! `events_fact` (identifier, fingerprint) is the unique index that makes the same fact from
//! overlapping exports import once. Real logs are in time order, so one file's consecutive events
//! belong to unrelated people, and every insert into that index descends to a random leaf: at ten
//! million events the index no longer fits the page cache and the import is bound by it. A bulk
//! import therefore drops the index inside the file's transaction, finds repeated facts in the
//! compact in-memory [`FactTable`], and builds the index again (one sort) before the file commits;
//! a rollback brings the old index back with everything else.

use rusqlite::{params, Connection, Statement};

use crate::store::StoreError;

/// The unique index's definition, exactly as migration 0003 creates it.
const CREATE_FACT_INDEX: &str = "CREATE UNIQUE INDEX events_fact ON events(identifier_id, fingerprint)";

/// An upper bound of the number of stored events, without counting them: the largest id.
pub fn stored_bound(conn: &Connection) -> Result<u64, StoreError> {
    let max: i64 = conn.query_row("SELECT coalesce(max(id), 0) FROM events", [], |r| r.get(0))?;
    Ok(max.max(0) as u64)
}

/// Drops the fact index for the rest of the transaction, after loading every stored fact into a
/// table sized for `expected_new` more. Only inside a transaction that [`restore_index`] ends.
pub fn defer_index(conn: &Connection, expected_new: u64) -> Result<FactTable, StoreError> {
    let mut table = FactTable::with_capacity(stored_bound(conn)? + expected_new);
    let mut stmt = conn.prepare("SELECT id, fingerprint FROM events INDEXED BY events_fact")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let fingerprint = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
        table.insert(fingerprint, id)?;
    }
    drop(rows);
    drop(stmt);
    conn.execute_batch("DROP INDEX events_fact")?;
    Ok(table)
}

/// Builds the fact index again if it is missing (a no-op otherwise). A repeated fact that got
/// past the table would fail here, loudly, and the file's transaction would roll back.
pub fn restore_index(conn: &Connection) -> Result<(), StoreError> {
    let present: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'index' AND name = 'events_fact'",
        [],
        |r| r.get(0),
    )?;
    if !present {
        conn.execute_batch(CREATE_FACT_INDEX)?;
    }
    Ok(())
}

/// Reads back a stored event's fact, to confirm a table hit (the table keeps 32 bits of each
/// fingerprint, not the fact).
pub struct FactCheck<'c> {
    fact_of: Statement<'c>,
}

impl<'c> FactCheck<'c> {
    pub fn new(conn: &'c Connection) -> Result<FactCheck<'c>, StoreError> {
        Ok(FactCheck { fact_of: conn.prepare("SELECT identifier_id, fingerprint FROM events WHERE id = ?1")? })
    }

    /// True when stored event `id` is the fact (`identifier_id`, `fingerprint`).
    pub fn is(&mut self, id: i64, identifier_id: i64, fingerprint: &[u8]) -> Result<bool, StoreError> {
        let mut rows = self.fact_of.query(params![id])?;
        let Some(row) = rows.next()? else { return Ok(false) };
        let stored: i64 = row.get(0)?;
        Ok(stored == identifier_id && row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)? == fingerprint)
    }
}

/// An open-addressing table of (32-bit fingerprint tag, 32-bit event id) pairs, 8 bytes a slot,
/// at most 4/5 full: about 100 MB for ten million events, where a `HashMap<u64, i64>` would take
/// more than twice that. The tag only narrows the search; every hit is confirmed against the
/// stored row.
pub struct FactTable {
    /// `tag << 32 | id`; 0 is an empty slot (event ids start at 1).
    slots: Vec<u64>,
    len: usize,
}

impl FactTable {
    /// A table that holds `expected` facts without growing.
    pub fn with_capacity(expected: u64) -> FactTable {
        let slots = (expected.saturating_mul(5) / 4).clamp(1 << 12, u64::from(u32::MAX));
        FactTable { slots: vec![0; slots as usize], len: 0 }
    }

    /// How many facts the table holds.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when the table holds no fact.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn tag(fingerprint: &[u8]) -> u32 {
        let mut first = [0u8; 4];
        for (to, from) in first.iter_mut().zip(fingerprint) {
            *to = *from;
        }
        u32::from_le_bytes(first)
    }

    fn home(&self, tag: u32) -> usize {
        // The fingerprint is a cryptographic hash, so the tag is uniform: scaled to the table's
        // size (any size, not only powers of two), it spreads evenly.
        ((u64::from(tag) * self.slots.len() as u64) >> 32) as usize
    }

    fn next(&self, at: usize) -> usize {
        if at + 1 == self.slots.len() {
            0
        } else {
            at + 1
        }
    }

    /// The stored event with this fingerprint for which `is_fact` says yes, if any: every event
    /// whose tag matches is offered in turn.
    pub fn find(
        &self,
        fingerprint: &[u8],
        mut is_fact: impl FnMut(i64) -> Result<bool, StoreError>,
    ) -> Result<Option<i64>, StoreError> {
        let tag = Self::tag(fingerprint);
        let mut at = self.home(tag);
        loop {
            let slot = self.slots[at];
            if slot == 0 {
                return Ok(None);
            }
            if (slot >> 32) as u32 == tag {
                let id = (slot & u64::from(u32::MAX)) as i64;
                if is_fact(id)? {
                    return Ok(Some(id));
                }
            }
            at = self.next(at);
        }
    }

    /// Adds stored event `id` with this fingerprint (the caller has found no such fact yet).
    pub fn insert(&mut self, fingerprint: &[u8], id: i64) -> Result<(), StoreError> {
        let id = u32::try_from(id).ok().filter(|id| *id != 0).ok_or_else(|| {
            StoreError::Invalid(format!("event id {id} is beyond what a bulk import can index (1 to 4294967295)"))
        })?;
        if (self.len + 1) * 5 > self.slots.len() * 4 {
            self.grow();
        }
        self.place(u64::from(Self::tag(fingerprint)) << 32 | u64::from(id));
        self.len += 1;
        Ok(())
    }

    fn place(&mut self, entry: u64) {
        let mut at = self.home((entry >> 32) as u32);
        while self.slots[at] != 0 {
            at = self.next(at);
        }
        self.slots[at] = entry;
    }

    fn grow(&mut self) {
        let doubled = vec![0; (self.slots.len() * 2).min(u32::MAX as usize)];
        let old = std::mem::replace(&mut self.slots, doubled);
        for entry in old.into_iter().filter(|e| *e != 0) {
            self.place(entry);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u32, rest: u8) -> [u8; 16] {
        let mut f = [rest; 16];
        f[..4].copy_from_slice(&n.to_le_bytes());
        f
    }

    #[test]
    fn finds_only_confirmed_facts_among_equal_tags() {
        let mut table = FactTable::with_capacity(4);
        // Three facts share a tag (and so a home slot); only the confirmation tells them apart.
        for id in 1..=3 {
            table.insert(&fp(7, id as u8), id).unwrap();
        }
        table.insert(&fp(8, 0), 4).unwrap();
        let stored = |id: i64| match id {
            1..=3 => fp(7, id as u8),
            _ => fp(8, 0),
        };
        for wanted in 1..=3u8 {
            let found = table.find(&fp(7, wanted), |id| Ok(stored(id) == fp(7, wanted))).unwrap();
            assert_eq!(found, Some(i64::from(wanted)));
        }
        assert_eq!(table.find(&fp(7, 9), |id| Ok(stored(id) == fp(7, 9))).unwrap(), None);
        assert_eq!(table.find(&fp(9, 0), |_| Ok(true)).unwrap(), None, "another tag is never offered");
    }

    #[test]
    fn grows_past_its_first_size_without_losing_a_fact() {
        let mut table = FactTable::with_capacity(0);
        let first = table.slots.len();
        let n = first as u32 * 3;
        for i in 1..=n {
            // Tags spread like a hash's, with every tenth one repeated.
            let tag = if i % 10 == 0 { 42 } else { i.wrapping_mul(0x9e37_79b9) };
            table.insert(&fp(tag, 0), i64::from(i)).unwrap();
        }
        assert!(table.slots.len() > first);
        assert_eq!(table.len(), n as usize);
        for i in 1..=n {
            let tag = if i % 10 == 0 { 42 } else { i.wrapping_mul(0x9e37_79b9) };
            assert_eq!(table.find(&fp(tag, 0), |id| Ok(id == i64::from(i))).unwrap(), Some(i64::from(i)));
        }
    }

    #[test]
    fn refuses_an_id_it_cannot_hold() {
        let mut table = FactTable::with_capacity(1);
        assert!(table.insert(&fp(1, 0), 1 << 32).is_err());
        assert!(table.insert(&fp(1, 0), 0).is_err());
        assert!(table.is_empty());
    }
}
