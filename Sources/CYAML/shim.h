// libyaml (Debian's libyaml-dev): the YAML parser for the policy file.
#include <yaml.h>
