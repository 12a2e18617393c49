#!/bin/sh
# Compile JenaEndpoint.java into OUT (default: ./build) and print the classpath to run it with.
# Works around the packaging bug of Debian's Jena 4.5: its xerces classes were relocated to the
# package xerces.* but their .properties resources were not, so they are copied to xerces/ from jena-core.jar.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/build}
jars=/usr/share/java
cp=""
for j in jena-arq jena-base jena-core jena-iri jena-dboe-base jena-dboe-storage jena-dboe-transaction \
         jena-dboe-trans-data jena-dboe-index jena-tdb2 jena-shacl jena-shex commons-lang3 commons-io commons-codec \
         commons-csv commons-compress commons-collections4 dexx.collection caffeine guava failureaccess slf4j-api slf4j-nop gson \
         jsonld-java jackson-core jackson-databind jackson-annotations httpclient httpcore thrift protobuf \
         titanium-json-ld jakarta.json-api jakarta.json; do
  [ -f "$jars/$j.jar" ] && cp="$cp:$jars/$j.jar"
done
mkdir -p "$out"
if [ ! -f "$out/JenaEndpoint.class" ] || [ "$here/JenaEndpoint.java" -nt "$out/JenaEndpoint.class" ]; then
  tmp=$(mktemp -d)
  unzip -o -q $jars/jena-core.jar 'org/apache/jena/ext/xerces/*.properties' -d "$tmp"
  rm -rf "$out/xerces" && cp -r "$tmp/org/apache/jena/ext/xerces" "$out/xerces" && rm -rf "$tmp"
  javac -nowarn -d "$out" -cp "${cp#:}" "$here/JenaEndpoint.java" >&2
fi
echo "$out${cp}"
