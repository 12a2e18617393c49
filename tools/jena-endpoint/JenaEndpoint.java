// A small SPARQL 1.1 endpoint over Apache Jena ARQ (Debian's libapache-jena-java 4.5), for the
// store parity tests: Fuseki is not packaged. Loopback only. See README.md.
//
//   java -cp CP JenaEndpoint --port P [--writable] [FILE...]
//
// GET/POST /sparql       SPARQL query (query=..., or a body of type application/sparql-query);
//                        answers SELECT/ASK as SPARQL JSON results. The default graph is the union
//                        of every graph (as Virtuoso's), unless default-graph-uri names one.
// PUT/POST/DELETE /data  SPARQL 1.1 Graph Store HTTP Protocol (?graph=IRI or ?default), only with
//                        --writable; PUT replaces the graph in one transaction. Turtle/N-Triples.
// GET /health            "ok"
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.jena.graph.Graph;
import org.apache.jena.graph.NodeFactory;
import org.apache.jena.graph.compose.Union;
import org.apache.jena.query.Dataset;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.rdf.model.Model;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.riot.RDFLanguages;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sparql.graph.GraphFactory;
import org.apache.jena.system.Txn;

public class JenaEndpoint {
    static final Dataset DATA = DatasetFactory.createTxnMem();
    static boolean writable = false;

    public static void main(String[] args) throws Exception {
        int port = 0;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port")) port = Integer.parseInt(args[++i]);
            else if (args[i].equals("--writable")) writable = true;
            else { final String f = args[i]; Txn.executeWrite(DATA, () -> RDFDataMgr.read(DATA.getDefaultModel(), f)); }
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 16);
        server.createContext("/sparql", JenaEndpoint::query);
        server.createContext("/data", JenaEndpoint::graphStore);
        server.createContext("/health", ex -> send(ex, 200, "text/plain", "ok\n"));
        server.start();
        System.out.println("listening on http://127.0.0.1:" + server.getAddress().getPort() + "/sparql");
        System.out.flush();
    }

    static Map<String, List<String>> params(String raw) {
        Map<String, List<String>> out = new HashMap<>();
        if (raw == null || raw.isEmpty()) return out;
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    static String first(Map<String, List<String>> p, String k) {
        List<String> v = p.get(k);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream os = ex.getResponseBody()) { os.write(bytes); }
    }

    static void query(HttpExchange ex) throws IOException {
        try {
            Map<String, List<String>> p = params(ex.getRequestURI().getRawQuery());
            String text = first(p, "query");
            if (ex.getRequestMethod().equals("POST")) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type"));
                if (type.startsWith("application/sparql-query")) text = body;
                else { Map<String, List<String>> form = params(body); form.forEach((k, v) -> p.merge(k, v, (a, b) -> { a.addAll(b); return a; })); text = first(p, "query"); }
            }
            if (text == null) { send(ex, 400, "text/plain", "no query\n"); return; }
            Query q = QueryFactory.create(text);
            String dg = first(p, "default-graph-uri");
            String out = Txn.calculateRead(DATA, () -> {
                DatasetGraph dsg = DATA.asDatasetGraph();
                Graph g = dg != null ? dsg.getGraph(NodeFactory.createURI(dg))
                                     : new Union(dsg.getDefaultGraph(), dsg.getUnionGraph());
                Dataset ds = DatasetFactory.wrap(ModelFactory.createModelForGraph(g));
                try (QueryExecution qe = QueryExecutionFactory.create(q, ds)) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    if (q.isSelectType()) ResultSetFormatter.outputAsJSON(buf, qe.execSelect());
                    else if (q.isAskType()) ResultSetFormatter.outputAsJSON(buf, qe.execAsk());
                    else throw new IllegalArgumentException("only SELECT and ASK are served");
                    return buf.toString(StandardCharsets.UTF_8);
                }
            });
            send(ex, 200, "application/sparql-results+json", out);
        } catch (Exception e) {
            send(ex, 400, "text/plain", "query failed: " + e.getMessage() + "\n");
        }
    }

    static void graphStore(HttpExchange ex) throws IOException {
        try {
            if (!writable) { send(ex, 403, "text/plain", "read-only endpoint (start with --writable)\n"); return; }
            Map<String, List<String>> p = params(ex.getRequestURI().getRawQuery());
            String name = first(p, "graph");
            if (name == null && !p.containsKey("default")) { send(ex, 400, "text/plain", "give ?graph=IRI or ?default\n"); return; }
            String method = ex.getRequestMethod();
            if (method.equals("DELETE")) {
                Txn.executeWrite(DATA, () -> { if (name == null) DATA.getDefaultModel().removeAll(); else DATA.removeNamedModel(name); });
                send(ex, 204, "text/plain", ""); return;
            }
            if (!method.equals("PUT") && !method.equals("POST")) { send(ex, 405, "text/plain", "PUT, POST or DELETE\n"); return; }
            String type = String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")).split(";")[0].trim();
            Lang lang = RDFLanguages.contentTypeToLang(type);
            if (lang == null) lang = Lang.TURTLE;
            Model incoming = ModelFactory.createModelForGraph(GraphFactory.createDefaultGraph());
            RDFDataMgr.read(incoming, new ByteArrayInputStream(ex.getRequestBody().readAllBytes()), lang);
            boolean replace = method.equals("PUT");
            Txn.executeWrite(DATA, () -> {
                Model target = name == null ? DATA.getDefaultModel() : DATA.getNamedModel(name);
                if (replace) target.removeAll();
                target.add(incoming);
            });
            send(ex, replace ? 204 : 200, "text/plain", "");
        } catch (Exception e) {
            send(ex, 400, "text/plain", "graph store request failed: " + e.getMessage() + "\n");
        }
    }
}
