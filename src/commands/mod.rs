pub mod demo;
pub mod gen;
pub mod ingest;
pub mod init;
