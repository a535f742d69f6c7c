//! The built-in scenarios, shipped inside the binary so `connector-harness run` works from any
//! directory. They are the files in the repository's `scenarios/` folder.

use crate::scenario::{LoadError, Loaded, load_str};

const FILES: &[(&str, &str)] = &[
    ("chatgpt-connects", include_str!("../../scenarios/chatgpt-connects.yaml")),
    ("fixture-skip-audience-check", include_str!("../../scenarios/fixture-skip-audience-check.yaml")),
    ("reference-resource-server", include_str!("../../scenarios/reference-resource-server.yaml")),
    ("root-prm-missing", include_str!("../../scenarios/root-prm-missing.yaml")),
    ("seed-000-ownsona-modes", include_str!("../../scenarios/seed-000-ownsona-modes.yaml")),
    ("seed-001-no-dynamic-registration", include_str!("../../scenarios/seed-001-no-dynamic-registration.yaml")),
    ("seed-003-basic-refused", include_str!("../../scenarios/seed-003-basic-refused.yaml")),
    ("seed-003-keycloak-audience", include_str!("../../scenarios/seed-003-keycloak-audience.yaml")),
    ("seed-003-keycloak-auth-method", include_str!("../../scenarios/seed-003-keycloak-auth-method.yaml")),
    ("seed-003-keycloak-trusted-hosts", include_str!("../../scenarios/seed-003-keycloak-trusted-hosts.yaml")),
];

/// Every built-in scenario.
pub fn scenarios() -> Result<Vec<Loaded>, LoadError> {
    FILES
        .iter()
        .map(|(name, text)| {
            load_str(name, text).map(|mut l| {
                l.file = std::path::PathBuf::from(format!("scenarios/{name}.yaml"));
                l
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_builtin_scenario_loads_and_the_list_matches_the_folder() {
        let loaded = super::scenarios().unwrap();
        assert_eq!(loaded.len(), super::FILES.len());
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
        let on_disk = crate::scenario::load_dir(&dir).unwrap();
        let mut a: Vec<String> =
            on_disk.iter().map(|l| l.file.file_stem().unwrap().to_string_lossy().into_owned()).collect();
        let mut b: Vec<String> = super::FILES.iter().map(|(n, _)| n.to_string()).collect();
        a.sort();
        b.sort();
        assert_eq!(a, b, "scenarios/ and the built-in list differ: add new files to builtin.rs");
    }
}
