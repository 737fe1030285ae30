# A small closure built by a real Nix, offline, for test/real-nix.test.ts:
# store paths as Nix writes them (modes 0444/0555, mtime 1, hard links after
# `nix-store --optimise`), fed to our CLI and to the reference scripts.
#
# No nixpkgs: plain `builtins.derivation`s whose builder is /bin/sh with no
# PATH (every command by absolute path, or a sh builtin).  Building needs
# `sandbox = false` (the builder is the host's /bin/sh) and, as root without
# a nixbld group, `build-users-group =` (test/support/nix.ts sets both).
#
#   nix-build --no-out-link test/nix/closure.nix -A contents -A customisationLayer
#
# Store paths depend only on this file and the system (builtins.currentSystem).
# Every output is fixed text written by sh's printf, with coreutils' mkdir,
# ln, chmod and sha256sum, so its contents do not depend on the machine
# either: `npm run golden -- nix` rebuilds each with `nix-store --check`, and
# the tests compare NAR hashes with the ones the goldens were made from.
let
  system = builtins.currentSystem;
  sh = name: script: builtins.derivation {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-e" "-c" script ];
  };

  # A single file as a store path.
  motd = sh "sli-motd" ''
    printf 'Welcome to a store made by Nix.\n' > "$out"
  '';

  # Regular files, nested directories, an empty file, a file name longer
  # than 100 bytes, a non-ASCII one, and a file whose twin lives in `tool`.
  data = sh "sli-data" ''
    /bin/mkdir -p "$out/share/doc/deeper/still-deeper" "$out/share/empty-dir"
    printf 'Read me.\n' > "$out/share/doc/readme.txt"
    printf 'nested\n' > "$out/share/doc/deeper/still-deeper/leaf.txt"
    : > "$out/share/empty-file"
    printf 'identical bytes in two store paths\n' > "$out/share/same.txt"
    printf 'a long name\n' > "$out/share/doc/this-file-name-is-longer-than-the-one-hundred-bytes-a-ustar-name-field-holds-so-tarfile-writes-a-pax-path-record.txt"
    printf 'non-ASCII name\n' > "$out/share/doc/grüße-ñandú-日本語.txt"
    printf '.hidden\n' > "$out/share/.hidden"
  '';

  # An executable, relative / absolute / dangling symlinks, a symlink whose
  # target is longer than 100 bytes, and the twin of data's same.txt.
  tool = sh "sli-tool" ''
    /bin/mkdir -p "$out/bin" "$out/lib" "$out/share"
    printf '#!/bin/sh\n/bin/cat ${motd}\n' > "$out/bin/sli-hello"
    /bin/chmod 0755 "$out/bin/sli-hello"
    /bin/ln -s sli-hello "$out/bin/sli-hello-again"
    /bin/ln -s ${data}/share/doc/readme.txt "$out/lib/readme"
    /bin/ln -s ../share/no-such-file "$out/lib/dangling-relative"
    /bin/ln -s /nonexistent/sli-target "$out/lib/dangling-absolute"
    /bin/ln -s ${data}/share/doc/this-file-name-is-longer-than-the-one-hundred-bytes-a-ustar-name-field-holds-so-tarfile-writes-a-pax-path-record.txt "$out/lib/long-target"
    printf 'identical bytes in two store paths\n' > "$out/share/same.txt"
  '';

  # A store path that is a symlink to another store path: the image's root.
  contents = sh "sli-contents" ''
    /bin/ln -s ${tool} "$out"
  '';

  # ---- The customisation layer, shaped as nixpkgs' streamLayeredImage
  # makes it: a store path holding layer.tar (a tar of the image's root:
  # ./, ./bin -> the tool's bin, ./etc/hostname, ./tmp with mode 1777) and
  # checksum (sha256 hex of layer.tar).  nixpkgs runs GNU tar; here the tar
  # is computed by this expression (ustar headers, owner 0:0, mtime 1) and
  # written by sh's printf, so its bytes do not depend on a tar program.

  printable = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";
  codes = builtins.listToAttrs (builtins.genList (i: { name = builtins.substring i 1 printable; value = 32 + i; }) (builtins.stringLength printable)) // { "\n" = 10; };
  chars = s: builtins.genList (i: builtins.substring i 1 s) (builtins.stringLength s);
  byteSum = s: builtins.foldl' (sum: c: sum + codes.${c}) 0 (chars (builtins.unsafeDiscardStringContext s));
  repeat = n: s: builtins.concatStringsSep "" (builtins.genList (_: s) n);

  # Octal digits of n, zero-padded to `width` digits.
  octal = width: n:
    let digits = m: if m < 8 then toString m else digits (m / 8) + toString (m - (m / 8) * 8);
        d = digits n;
    in repeat (width - builtins.stringLength d) "0" + d;

  # A block as segments: { text } (printable ASCII) or { nuls } (that many NUL bytes).
  text = s: { text = s; };
  nuls = n: { nuls = n; };
  field = width: s: [ (text s) (nuls (width - builtins.stringLength s)) ];
  number = width: n: [ (text (octal (width - 1) n)) (nuls 1) ];
  segmentsLength = builtins.foldl' (sum: seg: sum + (if seg ? text then builtins.stringLength seg.text else seg.nuls)) 0;
  segmentsSum = builtins.foldl' (sum: seg: sum + (if seg ? text then byteSum seg.text else 0)) 0;

  header = { name, mode, type, size ? 0, linkname ? "", content ? "" }:
    let
      before = field 100 name ++ number 8 mode ++ number 8 0 ++ number 8 0 ++ number 12 size ++ number 12 1;
      after = [ (text type) ] ++ field 100 linkname ++ [ (text "ustar") (nuls 1) (text "00") ]
        ++ field 32 "" ++ field 32 "" ++ number 8 0 ++ number 8 0 ++ [ (nuls 167) ];
      # The checksum counts its own field as 8 spaces.
      checksum = segmentsSum before + 8 * 32 + segmentsSum after;
    in before ++ [ (text (octal 6 checksum)) (nuls 1) (text " ") ] ++ after;

  member = entry: header entry ++ (if entry ? content then [ (text entry.content) (nuls (512 - builtins.stringLength entry.content)) ] else [ ]);
  members = [
    { name = "./"; mode = 493; type = "5"; }
    { name = "./bin"; mode = 511; type = "2"; linkname = "${tool}/bin"; }
    { name = "./etc/"; mode = 493; type = "5"; }
    { name = "./etc/hostname"; mode = 420; type = "0"; size = 4; content = "sli\n"; }
    { name = "./tmp/"; mode = 1023; type = "5"; }
  ];
  body = builtins.concatLists (map member members);
  # Two zero blocks, then zeros up to a multiple of 10240 bytes (GNU tar's record).
  used = segmentsLength body;
  archive = body ++ [ (nuls ((used + 1024 + 10239) / 10240 * 10240 - used)) ];

  # printf's format: text with % and \ escaped, NULs as \000.
  escape = builtins.replaceStrings [ "%" "\\" "\n" ] [ "%%" "\\\\" "\\n" ];
  format = builtins.concatStringsSep "" (map (seg: if seg ? text then escape seg.text else repeat seg.nuls "\\000") archive);

  customisationLayer = builtins.derivation {
    name = "sli-customisation-layer";
    inherit system;
    builder = "/bin/sh";
    layerFormat = format;
    args = [ "-e" "-c" ''
      /bin/mkdir "$out"
      printf "$layerFormat" > "$out/layer.tar"
      sum=$(/usr/bin/sha256sum < "$out/layer.tar")
      printf '%s\n' "''${sum%% *}" > "$out/checksum"
    '' ];
  };
in
{
  inherit motd data tool contents customisationLayer;
}
