#pragma once
// The resolved scenario a run directory keeps (scenario.yaml): the YAML tree as loaded, with
// --set overrides, the what-if or variant and --seed applied, and every `file:` path made
// absolute, so `lbsim run scenario.yaml` from anywhere reruns exactly that scenario. Internal to
// the scenario module.
#include <string>

#include "sim/scenario/yaml_tree.hpp"

namespace lbsim::yaml {

// Every map entry `file: <relative path>` (the one key the loader reads a path from) becomes the
// absolute path it resolves to from `base_dir`.
void make_file_paths_absolute(Node& root, const std::string& base_dir);

// The tree as YAML in block style: scalars double-quoted (escaped), keys too unless made of
// letters, digits and _ . - only, a null as `null`,
// an empty map or list as `{}` or `[]`. Parsing the text gives the same tree (apart from
// locations).
[[nodiscard]] std::string emit(const Node& root);

}  // namespace lbsim::yaml
