#![forbid(unsafe_code)]

fn main() -> anyhow::Result<()> {
    stockage::cli::main()
}
