// Package k8s holds the Kubernetes manifests for sharded runs; its test checks
// that they parse as the API types they claim to be (strictly: a misspelt field
// fails) and that the shard index is wired from JOB_COMPLETION_INDEX into
// `inferbench run --shard`, consistently with the merge Job.
package k8s

import (
	"os"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

func load(t *testing.T, name string, into any) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(b, into); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func TestShardsJobWiresIndex(t *testing.T) {
	var job batchv1.Job
	load(t, "shards-job.yaml", &job)
	if job.Kind != "Job" || job.APIVersion != "batch/v1" {
		t.Fatalf("kind %s/%s", job.APIVersion, job.Kind)
	}
	s := job.Spec
	if s.CompletionMode == nil || *s.CompletionMode != batchv1.IndexedCompletion {
		t.Fatalf("completionMode %v, want Indexed", s.CompletionMode)
	}
	if len(s.Template.Spec.Containers) != 1 {
		t.Fatalf("%d containers", len(s.Template.Spec.Containers))
	}
	c := s.Template.Spec.Containers[0]
	shards, err := strconv.Atoi(env(c, "SHARDS"))
	if err != nil || s.Completions == nil || s.Parallelism == nil || int(*s.Completions) != shards || int(*s.Parallelism) != shards {
		t.Fatalf("SHARDS %q, completions %v, parallelism %v: want all equal", env(c, "SHARDS"), s.Completions, s.Parallelism)
	}
	cmd := strings.Join(append(c.Command, c.Args...), " ")
	for _, want := range []string{"inferbench run", `--shard "${JOB_COMPLETION_INDEX}/${SHARDS}"`, "shard-${JOB_COMPLETION_INDEX}.json", "/reports/${RUN_ID}/"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("shard command lacks %q:\n%s", want, cmd)
		}
	}
	if s.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("restartPolicy %q: a retried shard would double its share of the plan", s.Template.Spec.RestartPolicy)
	}
	if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].MountPath != "/reports" {
		t.Errorf("volume mounts %+v, want /reports", c.VolumeMounts)
	}
}

func TestMergeJobMatchesShards(t *testing.T) {
	var shards, merge batchv1.Job
	load(t, "shards-job.yaml", &shards)
	load(t, "merge-job.yaml", &merge)
	sc, mc := shards.Spec.Template.Spec.Containers[0], merge.Spec.Template.Spec.Containers[0]
	for _, name := range []string{"SHARDS", "RUN_ID"} {
		if env(sc, name) != env(mc, name) || env(mc, name) == "" {
			t.Errorf("%s: shards %q, merge %q", name, env(sc, name), env(mc, name))
		}
	}
	if sc.Image != mc.Image {
		t.Errorf("images differ: %s vs %s", sc.Image, mc.Image)
	}
	claim := func(j batchv1.Job) string {
		for _, v := range j.Spec.Template.Spec.Volumes {
			if v.PersistentVolumeClaim != nil {
				return v.PersistentVolumeClaim.ClaimName
			}
		}
		return ""
	}
	if claim(shards) == "" || claim(shards) != claim(merge) {
		t.Errorf("claims: shards %q, merge %q", claim(shards), claim(merge))
	}
	cmd := strings.Join(append(mc.Command, mc.Args...), " ")
	if !strings.Contains(cmd, "inferbench merge /reports/${RUN_ID}/shard-*.json") {
		t.Errorf("merge command does not merge the shard files:\n%s", cmd)
	}
	var pvc corev1.PersistentVolumeClaim
	load(t, "reports-pvc.yaml", &pvc)
	if pvc.Name != claim(shards) || len(pvc.Spec.AccessModes) != 1 || pvc.Spec.AccessModes[0] != corev1.ReadWriteMany {
		t.Errorf("claim %s modes %v: want %s, ReadWriteMany", pvc.Name, pvc.Spec.AccessModes, claim(shards))
	}
}

func TestDockerfileBuildsTheBinary(t *testing.T) {
	b, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"go build", "./cmd/inferbench", `ENTRYPOINT ["inferbench"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}
