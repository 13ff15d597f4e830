//! `channels_redis` 4.3's storage format (`RedisChannelLayer`, msgpack
//! serializer), as its `group_send` writes it; see decision 0034.
//!
//! * A group is the sorted set `{prefix}:group:{group}` of channel names,
//!   scored by the time they joined.
//! * A channel's messages are the sorted set `{prefix}{name}`, scored by
//!   the time they were sent, where `name` is the channel name up to and
//!   including its `!` for a process-local channel (`specific.<client>!<id>`),
//!   so one key serves every channel of one server process.
//! * A member is 12 random bytes (members must be unique) and then the
//!   msgpack map of the message plus `__asgi_channel__`: the list of the
//!   group's channels that key serves, which the receiving process uses to
//!   route the message to each.
use serde_json::{Map, Value};

/// The random bytes before each message (`random_prefix_length`).
pub const RANDOM_PREFIX: usize = 12;

/// The key of a group's membership set.
pub fn group_key(prefix: &str, group: &str) -> String {
    format!("{prefix}:group:{group}")
}

/// `BaseChannelLayer.non_local_name`: a process-local channel name up to
/// and including its `!`; any other name whole.
pub fn non_local_name(channel: &str) -> &str {
    match channel.find('!') {
        Some(bang) => &channel[..=bang],
        None => channel,
    }
}

/// The messages of one group send: one per channel key, in the order the
/// group lists its channels, each naming the channels it is for.
#[derive(Debug, PartialEq)]
pub struct Delivery {
    pub key: String,
    pub channels: Vec<String>,
}

/// Groups a group's channels by the key their messages go to.
pub fn deliveries(prefix: &str, channels: &[String]) -> Vec<Delivery> {
    let mut out: Vec<Delivery> = Vec::new();
    for channel in channels {
        let key = format!("{prefix}{}", non_local_name(channel));
        match out.iter_mut().find(|d| d.key == key) {
            Some(delivery) => delivery.channels.push(channel.clone()),
            None => out.push(Delivery {
                key,
                channels: vec![channel.clone()],
            }),
        }
    }
    out
}

/// The stored bytes of `message` (a JSON object) for `channels`: random
/// prefix, then msgpack.
pub fn member(message: &Map<String, Value>, channels: &[String]) -> Vec<u8> {
    let mut fields = message.clone();
    fields.insert(
        "__asgi_channel__".into(),
        Value::Array(channels.iter().cloned().map(Value::String).collect()),
    );
    let mut bytes = rand::random::<[u8; RANDOM_PREFIX]>().to_vec();
    // Writing a JSON value into a vector cannot fail: every JSON value has
    // a msgpack form and the vector grows as needed.
    rmp_serde::encode::write(&mut bytes, &Value::Object(fields))
        .expect("JSON values encode as msgpack");
    bytes
}

/// Reads a stored message back (what `channels_redis` does on receive).
pub fn read_member(bytes: &[u8]) -> Result<Value, rmp_serde::decode::Error> {
    rmp_serde::from_slice(bytes.get(RANDOM_PREFIX..).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(raw: &[&str]) -> Vec<String> {
        raw.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn keys_are_channels_redis_keys() {
        assert_eq!(group_key("asgi", "project_a"), "asgi:group:project_a");
        assert_eq!(non_local_name("specific.abc!def"), "specific.abc!");
        assert_eq!(non_local_name("chat"), "chat");
    }

    #[test]
    fn channels_of_one_process_share_one_message() {
        let group = names(&["specific.p1!a", "chat", "specific.p1!b", "specific.p2!c"]);
        let got = deliveries("asgi", &group);
        let want = [
            ("asgispecific.p1!", &["specific.p1!a", "specific.p1!b"][..]),
            ("asgichat", &["chat"][..]),
            ("asgispecific.p2!", &["specific.p2!c"][..]),
        ];
        assert_eq!(got.len(), want.len());
        for (delivery, (key, channels)) in got.iter().zip(want) {
            assert_eq!(delivery.key, key);
            assert_eq!(delivery.channels, names(channels));
        }
    }

    #[test]
    fn a_member_is_random_bytes_then_the_message_with_its_channels() {
        let message = json!({"type": "stockage.event", "event": {"position": 7, "data": {"x": [1.5, null, true]}}});
        let channels = names(&["specific.p!a", "specific.p!b"]);
        let one = member(message.as_object().unwrap(), &channels);
        let two = member(message.as_object().unwrap(), &channels);
        assert_ne!(
            one[..RANDOM_PREFIX],
            two[..RANDOM_PREFIX],
            "members must be unique"
        );
        assert_eq!(one[RANDOM_PREFIX..], two[RANDOM_PREFIX..]);
        assert_eq!(one[RANDOM_PREFIX] & 0xf0, 0x80, "a msgpack map");
        let mut want = message.clone();
        want["__asgi_channel__"] = json!(["specific.p!a", "specific.p!b"]);
        assert_eq!(read_member(&one).unwrap(), want);
    }
}
