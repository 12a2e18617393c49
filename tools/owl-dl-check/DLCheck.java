import java.io.File;
import org.semanticweb.owlapi.apibinding.OWLManager;
import org.semanticweb.owlapi.formats.RDFXMLDocumentFormat;
import org.semanticweb.owlapi.io.FileDocumentSource;
import org.semanticweb.owlapi.io.RDFParserMetaData;
import org.semanticweb.owlapi.model.*;
import org.semanticweb.owlapi.profiles.*;

public class DLCheck {
    public static void main(String[] args) throws Exception {
        OWLOntologyManager m = OWLManager.createOWLOntologyManager();
        OWLOntology o;
        try {
            // RDF/XML only, strict: a truncated file must not fall through to a lenient parser
            // that loads whatever it can (an incomplete ontology would pass as "in profile")
            o = m.loadOntologyFromOntologyDocument(new FileDocumentSource(new File(args[0]), new RDFXMLDocumentFormat()),
                new OWLOntologyLoaderConfiguration().setStrict(true).setReportStackTraces(false));
        } catch (OWLOntologyCreationException e) {
            String msg = String.valueOf(e.getMessage()).split("\n")[0];
            System.out.println("NOT LOADED: " + args[0] + ": " + msg);
            System.exit(2);
            return;
        }
        OWLDocumentFormat f = m.getOntologyFormat(o);
        if (f != null && f.getOntologyLoaderMetaData().isPresent()
                && f.getOntologyLoaderMetaData().get() instanceof RDFParserMetaData) {
            long unparsed = ((RDFParserMetaData) f.getOntologyLoaderMetaData().get()).getUnparsedTriples().count();
            if (unparsed > 0) {
                System.out.println("NOT LOADED COMPLETELY: " + unparsed + " triples could not be parsed into axioms");
                System.exit(2);
            }
        }
        if (o.getAxiomCount() == 0) {
            System.out.println("NOT LOADED: no axioms");
            System.exit(2);
        }
        System.out.println("loaded: " + o.getAxiomCount() + " axioms, " + o.getClassesInSignature().size() + " classes, "
            + o.getObjectPropertiesInSignature().size() + " object properties, " + o.getDataPropertiesInSignature().size()
            + " data properties, " + o.getAnnotationPropertiesInSignature().size() + " annotation properties, "
            + o.getIndividualsInSignature().size() + " individuals");
        OWLProfileReport r = new OWL2DLProfile().checkOntology(o);
        System.out.println("OWL 2 DL profile: " + (r.isInProfile() ? "in profile" : "NOT in profile"));
        for (OWLProfileViolation v : r.getViolations()) System.out.println("  violation: " + v);
    }
}
