//! Writing events and their rows during an import, one transaction per file.
