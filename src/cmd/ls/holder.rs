//! `ls --holder`: is it held, and by whom, with a status a script can test.

use crate::cli::LsArgs;
use crate::error::Error;
use crate::out;
use crate::queue::Holder;
use crate::render::{self, Json};

/// Each holder's id a line (or one JSON document); status 0, or 3 when nobody holds it.
pub(super) fn show_holders(args: &LsArgs, found: Vec<Holder>) -> Result<i32, Error> {
    if args.json {
        let holders = found
            .iter()
            .map(|h| {
                // The id exactly: UTF-8 text, or base64 as `encoding` says.
                let (id, encoding) = render::data_json(&h.id);
                Json::Object(vec![
                    ("path", Json::str(&h.path)),
                    ("id", id),
                    ("encoding", encoding),
                    ("ctime", Json::Str(render::timestamp(h.stat.ctime))),
                    ("role", Json::str(h.role.kind.name())),
                    (
                        "position",
                        h.role.position.map_or(Json::Null, |k| Json::Int(k.into())),
                    ),
                ])
            })
            .collect();
        let doc = Json::Object(vec![
            ("path", Json::str(&args.path)),
            ("holders", Json::List(holders)),
        ]);
        out::line(doc.render())?;
    } else {
        let mut text = String::new();
        for h in &found {
            text.push_str(&render::data_text(&h.id));
            text.push('\n');
        }
        out::text(&text)?;
    }
    if found.is_empty() {
        return Err(Error::Vacant(format!("{}: not held", args.path)));
    }
    Ok(0)
}
