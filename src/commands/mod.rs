pub mod check;
pub mod demo;
pub mod explain;
pub mod gen;
pub mod ingest;
pub mod init;
pub mod report;
pub mod run;
