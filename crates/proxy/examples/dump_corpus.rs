//! Writes each message's Bundle (pretty JSON) and report to `OUT/<file name>.json`, so a change
//! meant to keep the output (a speed-up) can be checked byte for byte against the commit before:
//! `cargo run --release -p proxy --example dump_corpus -- DIR OUT`, once per commit, then
//! `diff -r OUT_BEFORE OUT_AFTER`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().expect("a directory of .hl7 files");
    let out = std::path::PathBuf::from(args.next().expect("an output directory"));
    std::fs::create_dir_all(&out).unwrap();
    let converter = proxy::v2::Converter::default();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = match converter.convert(&bytes) {
            Ok(conversion) => format!(
                "{}\n{:?}\n",
                serde_json::to_string_pretty(&conversion.bundle).unwrap(),
                conversion.report
            ),
            Err(error) => format!("error: {error}\n"),
        };
        std::fs::write(out.join(format!("{name}.json")), text).unwrap();
    }
}
