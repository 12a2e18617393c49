#!/usr/bin/env bash
# Check that an OWL file is in the OWL 2 DL profile with the OWL API (the library Protégé is
# built on), from Debian's libowlapi-java. Usage: tools/owl-dl-check/run.sh FILE.owl
# Prints the profile verdict and every violation; exits 1 when the file is not OWL 2 DL, 2 when the
# OWL API cannot load it completely (parse error, truncated file, triples left unparsed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
jars=/usr/share/java
cp="$jars/owlapi-distribution.jar"
for j in guava slf4j-api caffeine commons-io atinject-jsr330-api hppcrt commons-rdf-api \
         rdf4j-model-api rdf4j-model rdf4j-rio-api rdf4j-util xz; do
  cp="$cp:$jars/$j.jar"
done
[ -f "$jars/owlapi-distribution.jar" ] || { echo "needs Debian's libowlapi-java (make setup installs it)" >&2; exit 2; }
build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
javac -nowarn -cp "$cp" -d "$build" "$here/DLCheck.java"
java -cp "$cp:$build" DLCheck "$1" 2>/dev/null | tee "$build/out"
grep -q "OWL 2 DL profile: in profile" "$build/out"
