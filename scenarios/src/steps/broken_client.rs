//! A broken client next to an endpoint, sending what no well-behaved agent sends, to check that a proxy
//! answers bad input with 400/413 and goes on serving everyone else (PX-ERR-2).

use cucumber::{then, when};
use ksnsim_harness::world::EndpointAction;

use crate::world::KsnWorld;

#[when(
    regex = r#"^a broken client on "([^"]+)" sends (GET|POST) "([^"]+)"(?: with (\d+) (bytes|objects))? to "([^"]+)"$"#
)]
async fn sends(
    world: &mut KsnWorld,
    host: String,
    method: String,
    path: String,
    size: String,
    unit: String,
    to: String,
) -> Result<(), String> {
    let size: usize = if size.is_empty() {
        0
    } else {
        size.parse().map_err(|_| "size must be a number")?
    };
    let body = match unit.as_str() {
        "objects" => {
            let objects: Vec<String> = (0..size).map(|n| format!(r#"{{"file":"{n:064x}"}}"#)).collect();
            format!(r#"{{"objects":[{}]}}"#, objects.join(",")).into_bytes()
        }
        "bytes" => vec![b'x'; size],
        _ => Vec::new(),
    };
    world
        .act(
            &host,
            EndpointAction::Raw {
                to,
                method,
                path,
                body,
            },
        )
        .await
        .map(|_| ())
}

#[then(regex = r#"^the broken client on "([^"]+)" gets (\d+) "([a-z_]+)"$"#)]
fn gets(world: &mut KsnWorld, host: String, status: u16, code: String) -> Result<(), String> {
    let outcome = world.last_of(&host)?;
    let matches =
        outcome.http_status == Some(status) && outcome.code.map(|c| c.as_str() == code).unwrap_or(false);
    if matches {
        Ok(())
    } else {
        Err(format!(
            "the broken client got {}, expected {status} {code}",
            outcome.summary()
        ))
    }
}
