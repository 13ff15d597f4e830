//! Reading a stored event as the adjacently tagged enum it is, without
//! building `{"type": …, "data": …}` first: the tag comes before the
//! content, so serde reads the payload straight into its variant instead
//! of buffering it (which a map with `data` sorted before `type` forces).
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// The map `{"type": event_type, "data": payload}`, in that order.
pub(crate) struct Tagged<'a> {
    pub event_type: &'a str,
    pub payload: &'a Value,
}

impl<'de> Deserializer<'de> for Tagged<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        visitor.visit_map(Entries {
            tagged: self,
            next: 0,
        })
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct Entries<'a> {
    tagged: Tagged<'a>,
    /// 0: the tag's key is next; 1: its value; 2: the content's key; 3: its value.
    next: u8,
}

impl<'de> MapAccess<'de> for Entries<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let key = match self.next {
            0 => "type",
            2 => "data",
            _ => return Ok(None),
        };
        self.next += 1;
        seed.deserialize(de::value::BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        self.next += 1;
        match self.next {
            2 => seed.deserialize(de::value::BorrowedStrDeserializer::new(
                self.tagged.event_type,
            )),
            _ => seed.deserialize(self.tagged.payload),
        }
    }
}
