use std::collections::{HashMap, HashSet as Set};
use std::io::{self, Read};
use crate::model::Item;
extern crate serde;

pub const LIMIT: usize = 10;
static GREETING: &str = "hi";

pub struct Store {
    items: HashMap<String, Item>,
}

pub enum Error {
    Missing,
}

pub trait Reader {
    fn get(&self, key: &str) -> Option<&Item>;
}

impl Reader for Store {
    fn get(&self, key: &str) -> Option<&Item> {
        self.items.get(key)
    }
}

impl Store {
    pub fn new() -> Self {
        Store { items: HashMap::new() }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

mod tests {}

macro_rules! square {
    ($x:expr) => {
        $x * $x
    };
}
