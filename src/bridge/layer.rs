//! The sending half of a `channels_redis` `RedisChannelLayer`: `group_send`
//! over one Redis connection, made again after any failure, for a batch
//! of messages at a time.
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, RedisError};
use serde_json::{Map, Value};
use tokio::sync::Mutex;

use super::BridgeConfig;
use super::wire;

/// `channels_redis`'s group-send script, with the trimming of expired
/// messages it runs just before it moved into the same script. KEYS are
/// channel keys; ARGV the message for each, the capacity for each, then
/// the score, the key lifetime and the score below which messages expired.
const GROUP_SEND: &str = r"
local n = #KEYS
local now = ARGV[2 * n + 1]
local expiry = ARGV[2 * n + 2]
local stale = ARGV[2 * n + 3]
local over_capacity = 0
for i = 1, n do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], 0, stale)
    if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
        redis.call('ZADD', KEYS[i], now, ARGV[i])
        redis.call('EXPIRE', KEYS[i], expiry)
    else
        over_capacity = over_capacity + 1
    end
end
return over_capacity
";

/// What one group send did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Sent {
    /// Channels in the group.
    pub channels: usize,
    /// Channel keys that were full, whose copy was dropped.
    pub over_capacity: u64,
}

/// One message for one group.
pub struct Outgoing {
    pub group: String,
    pub message: Map<String, Value>,
}

pub struct ChannelLayer {
    client: redis::Client,
    connection: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    capacity: u64,
    expiry: u64,
    group_expiry: u64,
    /// The score of the last message sent: the next one scores higher, as
    /// receivers pop the lowest score first.
    last_score: std::sync::Mutex<f64>,
}

impl ChannelLayer {
    pub fn new(config: &BridgeConfig) -> Result<Self, RedisError> {
        Ok(Self {
            client: redis::Client::open(config.redis_url.expose())?,
            connection: Mutex::new(None),
            prefix: config.prefix.clone(),
            capacity: config.capacity,
            expiry: config.expiry,
            group_expiry: config.group_expiry,
            last_score: std::sync::Mutex::new(0.0),
        })
    }

    /// Sends each message to every channel of its group, in order, as
    /// `RedisChannelLayer.group_send` would one after the other; all of
    /// them or none (one MULTI/EXEC), in two round trips. On any error the
    /// connection is dropped; the next call connects again.
    pub async fn group_send_all(&self, batch: &[Outgoing]) -> Result<Vec<Sent>, RedisError> {
        let mut slot = self.connection.lock().await;
        let connection = match slot.as_mut() {
            Some(connection) => connection,
            None => slot.insert(self.connect().await?),
        };
        let result = self.send_on(connection, batch).await;
        if result.is_err() {
            *slot = None;
        }
        result
    }

    async fn connect(&self) -> Result<MultiplexedConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
    }

    /// Each group's channels, after dropping expired memberships.
    async fn members(
        &self,
        connection: &mut MultiplexedConnection,
        groups: &[&str],
        now: f64,
    ) -> Result<HashMap<String, Vec<String>>, RedisError> {
        let mut pipe = redis::pipe();
        for group in groups {
            let key = wire::group_key(&self.prefix, group);
            pipe.cmd("ZREMRANGEBYSCORE")
                .arg(&key)
                .arg(0)
                .arg(now.trunc() as i64 - self.group_expiry as i64)
                .ignore()
                .cmd("ZRANGE")
                .arg(&key)
                .arg(0)
                .arg(-1);
        }
        let lists: Vec<Vec<String>> = pipe.query_async(connection).await?;
        Ok(groups.iter().map(|g| g.to_string()).zip(lists).collect())
    }

    async fn send_on(
        &self,
        connection: &mut MultiplexedConnection,
        batch: &[Outgoing],
    ) -> Result<Vec<Sent>, RedisError> {
        let now = unix_now();
        let mut groups: Vec<&str> = batch.iter().map(|o| o.group.as_str()).collect();
        groups.sort_unstable();
        groups.dedup();
        let members = self.members(connection, &groups, now).await?;
        let mut sent = vec![Sent::default(); batch.len()];
        let mut transaction = redis::pipe();
        transaction.atomic();
        let mut scripted = Vec::new();
        for (index, outgoing) in batch.iter().enumerate() {
            let channels = &members[&outgoing.group];
            sent[index].channels = channels.len();
            let deliveries = wire::deliveries(&self.prefix, channels);
            if deliveries.is_empty() {
                continue;
            }
            // EVAL, not EVALSHA: inside MULTI a missing script would fail
            // alone while the rest ran.
            let command = transaction
                .cmd("EVAL")
                .arg(GROUP_SEND)
                .arg(deliveries.len());
            for delivery in &deliveries {
                command.arg(&delivery.key);
            }
            for delivery in &deliveries {
                command.arg(wire::member(&outgoing.message, &delivery.channels));
            }
            for _ in &deliveries {
                command.arg(self.capacity);
            }
            command
                .arg(self.next_score(now).to_string())
                .arg(self.expiry)
                .arg(now.trunc() as i64 - self.expiry as i64);
            scripted.push(index);
        }
        if scripted.is_empty() {
            return Ok(sent);
        }
        let over: Vec<u64> = transaction.query_async(connection).await?;
        for (index, over_capacity) in scripted.into_iter().zip(over) {
            sent[index].over_capacity = over_capacity;
        }
        Ok(sent)
    }

    /// The wall clock, or just above the last score if the clock has not
    /// moved (or went back): a microsecond is well above an f64's step at
    /// today's Unix times.
    fn next_score(&self, now: f64) -> f64 {
        let mut last = self.last_score.lock().unwrap_or_else(|e| e.into_inner());
        *last = now.max(*last + 1e-6);
        *last
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}
