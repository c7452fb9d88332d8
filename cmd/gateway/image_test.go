package main

import (
	"bufio"
	"debug/buildinfo"
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// checkStaticTrimpath fails t unless bin is what the container image needs (staticTrimpathProblems).
func checkStaticTrimpath(t *testing.T, bin string) {
	t.Helper()
	for _, p := range staticTrimpathProblems(t, bin) {
		t.Error(p)
	}
}

// staticTrimpathProblems says how bin falls short of an ELF with no interpreter and no shared libraries
// (it runs FROM scratch), built with CGO_ENABLED=0 and -trimpath (its build info and file names hold no
// path of the build machine).
func staticTrimpathProblems(t *testing.T, bin string) []string {
	t.Helper()
	var problems []string
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("open %s: %v", bin, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			problems = append(problems, bin+" has an ELF interpreter (PT_INTERP): it is dynamically linked")
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		problems = append(problems, fmt.Sprintf("%s needs shared libraries %v (%v), want none", bin, libs, err))
	}

	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatalf("build info of %s: %v", bin, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	for _, key := range []string{"CGO_ENABLED", "-trimpath"} {
		want := map[string]string{"CGO_ENABLED": "0", "-trimpath": "true"}[key]
		if got := settings[key]; got != want {
			problems = append(problems, fmt.Sprintf("%s was built with %s=%q, want %q (go version -m shows the settings)", bin, key, got, want))
		}
	}
	wd, _ := os.Getwd()
	root := filepath.Dir(filepath.Dir(wd)) // the repository, as the build machine spells it
	raw, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), root+"/") {
		problems = append(problems, fmt.Sprintf("%s holds the build machine's path %s: not built with -trimpath", bin, root))
	}
	return problems
}

// TestStaticTrimpathCheckCatches: the check fails a binary built the default way, this test binary
// (go test builds without -trimpath, and with cgo under -race).
func TestStaticTrimpathCheckCatches(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(staticTrimpathProblems(t, self), "\n")
	if !strings.Contains(problems, "-trimpath") {
		t.Errorf("the check passes the test binary; problems: %q", problems)
	}
}

// checkImageContext fails t unless the Dockerfile's final stage is FROM scratch (or distroless), runs as
// a non-root numeric user, ships CA certificates, and every file it copies is in the build context dir
// that `make image-context` filled.
func checkImageContext(t *testing.T, dir, dockerfile string) {
	t.Helper()
	f, err := os.Open(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var from, user string
	copied := map[string]string{} // destination -> source
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		switch strings.ToUpper(fields[0]) {
		case "FROM":
			from, user, copied = fields[1], "", map[string]string{} // a new stage starts over
		case "USER":
			user = fields[1]
		case "COPY":
			if len(fields) == 3 {
				copied[fields[2]] = fields[1]
			} else {
				t.Errorf("Dockerfile: %q: want COPY SRC DST", sc.Text())
			}
		}
	}
	if from != "scratch" && !strings.HasPrefix(from, "gcr.io/distroless/static") {
		t.Errorf("Dockerfile's final stage is FROM %s, want scratch or distroless/static", from)
	}
	uid, _, _ := strings.Cut(user, ":")
	if n, err := strconv.Atoi(uid); err != nil || n == 0 {
		t.Errorf("Dockerfile: USER %q, want a numeric non-root uid (scratch has no /etc/passwd)", user)
	}
	if copied["/gateway"] == "" || copied["/etc/ssl/certs/ca-certificates.crt"] == "" {
		t.Errorf("Dockerfile copies %v, want /gateway and /etc/ssl/certs/ca-certificates.crt", copied)
	}
	for _, src := range copied {
		if _, err := os.Stat(filepath.Join(dir, src)); err != nil {
			t.Errorf("Dockerfile copies %s, not in the build context `make image-context` made: %v", src, err)
		}
	}
}
