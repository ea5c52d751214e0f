package dashboards

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestDeployExample checks what can be checked of the compose example
// without a Docker engine: the Prometheus config is valid for promtool, the
// compose file has the services the README promises and mounts files that
// exist, and the Dockerfile builds statically for the port the exporter uses.
func TestDeployExample(t *testing.T) {
	out, err := exec.Command(promtool(t), "check", "config", "--syntax-only", "../deploy/prometheus/prometheus.yml").CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("SUCCESS")) {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	var compose struct {
		Services map[string]struct {
			Volumes []string `yaml:"volumes"`
		} `yaml:"services"`
	}
	raw, err := os.ReadFile("../deploy/docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(raw, &compose); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"pgbouncer", "db", "pgtls-exporter", "prometheus", "grafana"} {
		if _, ok := compose.Services[name]; !ok {
			t.Errorf("compose example lacks service %s", name)
		}
	}
	for _, name := range []string{"pgtls-exporter", "prometheus", "grafana"} {
		for _, v := range compose.Services[name].Volumes {
			src := strings.SplitN(v, ":", 2)[0]
			if strings.HasPrefix(src, "../certs") {
				continue // the operator's certificates
			}
			if _, err := os.Stat("../deploy/" + src); err != nil {
				t.Errorf("%s mounts %s: %v", name, src, err)
			}
		}
	}
	docker, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"RUN make build ", "EXPOSE 9871", "USER nonroot", "COPY config.example.yml /etc/pgtls_exporter/config.yml"} {
		if !bytes.Contains(docker, []byte(want)) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// The image is built by make build, static.
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(makefile, []byte("\nbuild:\n\tCGO_ENABLED=0 $(GO) build ")) {
		t.Errorf("Makefile's build recipe is not CGO_ENABLED=0 $(GO) build")
	}
}
