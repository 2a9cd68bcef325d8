//! App settings that live outside any database: for now, which database the app and the CLI
//! open by default. `settings.json` in the platform's config folder
//! (e.g. `~/.config/consenttrail/settings.json`): `{"database_path": "/path/to/consenttrail.db"}`.

use std::path::PathBuf;

/// The environment variable that overrides the database for one run (tests, portable installs).
pub const DB_PATH_ENV: &str = "CONSENTTRAIL_DB";

/// The settings file's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AppSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_path: Option<PathBuf>,
}

/// Where the settings file is.
pub fn settings_path() -> Option<PathBuf> {
    directories::ProjectDirs::from("org", "ConsentTrail", "consenttrail").map(|d| d.config_dir().join("settings.json"))
}

/// Reads the settings; a missing file means defaults, an unreadable one is an error that names it.
pub fn load() -> Result<AppSettings, String> {
    let Some(path) = settings_path() else { return Ok(AppSettings::default()) };
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map_err(|e| format!("{}: invalid settings file: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(AppSettings::default()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Writes the settings.
pub fn save(settings: &AppSettings) -> Result<(), String> {
    let path = settings_path().ok_or("no configuration folder on this platform")?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(settings).map_err(|e| e.to_string())?;
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// The database the app and the CLI open when none is named: `$CONSENTTRAIL_DB` when set and
/// not empty, else the settings' `database_path`, else `consenttrail.db` in the app-data folder.
pub fn app_database_path() -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(DB_PATH_ENV).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    Ok(load()?.database_path.unwrap_or_else(super::default_db_path))
}
